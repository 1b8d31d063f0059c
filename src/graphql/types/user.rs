//! `User`.

use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use entity::user;

use crate::graphql::context::viewer;
use crate::graphql::owned_papers::papers_of;
use crate::ids::{GlobalId, NodeKind};
use crate::services::papers::PaperOwner;

use super::connection::Connection;
use super::{DateTime, Paper, page_cost};

/// A member of the community.
#[derive(Clone)]
pub struct User(Arc<user::Model>);

impl From<user::Model> for User {
    fn from(model: user::Model) -> Self {
        Self(Arc::new(model))
    }
}

impl User {
    /// The stored row.
    pub fn model(&self) -> &user::Model {
        &self.0
    }
}

#[Object]
impl User {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        ID(GlobalId::encode(NodeKind::User, self.0.id))
    }

    /// Unique handle, 3–32 of `A–Z a–z 0–9 _ -`, unique regardless of case.
    async fn username(&self) -> &str {
        &self.0.username
    }

    async fn display_name(&self) -> Option<&str> {
        self.0.display_name.as_deref()
    }

    /// When the account was created.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// Email address: visible only to the user themself and to admins; null otherwise.
    async fn email(&self, ctx: &Context<'_>) -> Option<&str> {
        viewer(ctx)
            .can_see_private_fields_of(self.0.id)
            .then_some(self.0.email.as_str())
    }

    /// Papers this user submitted, newest first.
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn submitted_papers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<Paper>> {
        papers_of(ctx, PaperOwner::Submitter, self.0.id, first, after).await
    }
}
