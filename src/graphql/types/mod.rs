//! GraphQL output and input types, one file per object. API types convert from entities;
//! entities never reach the schema.

use crate::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

mod account;
mod author;
mod category;
mod collection;
mod comment;
mod connection;
mod following;
mod global_id;
mod inputs;
mod moderation;
mod node;
mod notification;
mod paper;
mod platform;
mod rate_limit;
mod scalars;
mod submission;
mod user;

pub use account::{AuthPayload, LoginInput, RegisterInput, UpvotePayload};
pub use author::Author;
pub use category::Category;
pub use collection::{
    AddToCollectionPayload, Collection, CollectionItem, CollectionVisibilityValue,
    CreateCollectionInput, UpdateCollectionInput,
};
pub use comment::{
    AddCommentInput, Comment, CommentChange, CommentOrderInput, CommentPayload,
    DeleteCommentPayload,
};
pub use connection::{Connection, TotalCount};
pub use following::Following;
pub use global_id::{GlobalId, NodeKind};
pub use inputs::{
    OrderDirection, PaperFilterInput, PaperOrderField, PaperOrderInput, TrendingWindow,
};
pub use moderation::{
    ModerationAction, Report, ReportActionValue, ReportPayload, ReportStatus, RoleValue,
};
pub use node::Node;
pub use notification::{Notification, NotificationKindValue};
pub use paper::Paper;
pub use platform::{
    AuthorizedApp, CreateOAuthAppInput, CreatePersonalAccessTokenInput, OAuthApp,
    OAuthAppCredentials, PersonalAccessToken, PersonalAccessTokenCredentials, ScopeValue, Session,
    UpdateOAuthAppInput, UpdateProfileInput,
};
pub use rate_limit::RateLimit;
pub use scalars::{Date, DateTime};
pub use submission::{SubmitPaperInput, SubmitPaperPayload, UpvoteEvent};
pub use user::User;

/// How the checks before execution recognise valid input for each custom scalar.
pub fn custom_scalar_checks() -> Vec<(&'static str, super::preflight::ScalarCheck)> {
    vec![("DateTime", DateTime::accepts), ("Date", Date::accepts)]
}

/// The complexity of a list field: its children count once per requested item.
pub fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let default = usize::try_from(DEFAULT_PAGE_SIZE).unwrap_or(usize::MAX);
    let most = usize::try_from(MAX_PAGE_SIZE).unwrap_or(usize::MAX);
    let size = first
        .or(last)
        .and_then(|size| usize::try_from(size).ok())
        .unwrap_or(default)
        .clamp(1, most);
    size.saturating_mul(child_complexity).saturating_add(1)
}
