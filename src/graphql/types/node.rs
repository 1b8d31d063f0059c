//! The Relay `Node` interface.

use async_graphql::{ID, Interface};

use super::{Author, Collection, Comment, Notification, Paper, User};

/// An object with an opaque global id, fetchable with `node(id:)`.
#[derive(Interface, Clone)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global id."))]
pub enum Node {
    Paper(Paper),
    Author(Author),
    User(User),
    Comment(Comment),
    Notification(Notification),
    Collection(Collection),
}
