//! The platform's types: OAuth apps and grants, personal access tokens, sessions, and the
//! account mutations' inputs.

use async_graphql::{Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use entity::{oauth_app, oauth_consent, personal_access_token, sign_in};

use crate::auth::{Scope, Scopes};
use crate::error::AppResult;
use crate::services::oauth_apps::{self, AppFields};

use super::{DateTime, GlobalId, NodeKind};

/// A permission a token may hold beyond public reads. OAuth's `scope` parameter and
/// `extensions.requiredScope` spell them in lower case (`read`, `vote`, …).
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "Scope")]
pub enum ScopeValue {
    /// The viewer's private data: email, saved papers, notifications, private collections.
    Read,
    /// Upvote papers and comments.
    Vote,
    /// Submit papers.
    Submit,
    /// Write, edit, delete and report comments.
    Comment,
    /// Manage bookmarks and collections.
    Collections,
    /// Follow and unfollow authors, users and categories.
    Follow,
    /// Read notifications and mark them read.
    Notifications,
    /// Moderator actions (for moderators' own tools).
    Moderate,
}

impl From<Scope> for ScopeValue {
    fn from(scope: Scope) -> Self {
        match scope {
            Scope::Read => Self::Read,
            Scope::Vote => Self::Vote,
            Scope::Submit => Self::Submit,
            Scope::Comment => Self::Comment,
            Scope::Collections => Self::Collections,
            Scope::Follow => Self::Follow,
            Scope::Notifications => Self::Notifications,
            Scope::Moderate => Self::Moderate,
        }
    }
}

impl From<ScopeValue> for Scope {
    fn from(value: ScopeValue) -> Self {
        match value {
            ScopeValue::Read => Self::Read,
            ScopeValue::Vote => Self::Vote,
            ScopeValue::Submit => Self::Submit,
            ScopeValue::Comment => Self::Comment,
            ScopeValue::Collections => Self::Collections,
            ScopeValue::Follow => Self::Follow,
            ScopeValue::Notifications => Self::Notifications,
            ScopeValue::Moderate => Self::Moderate,
        }
    }
}

fn scope_values(stored: &str) -> Vec<ScopeValue> {
    Scopes::from_stored(stored)
        .iter()
        .map(ScopeValue::from)
        .collect()
}

/// A third-party application registered by a user.
pub struct OAuthApp(pub oauth_app::Model);

#[Object]
impl OAuthApp {
    /// Public identifier the app sends to `/oauth/authorize` and `/oauth/token`.
    async fn client_id(&self) -> &str {
        &self.0.client_id
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn description(&self) -> &str {
        &self.0.description
    }

    async fn homepage_url(&self) -> &str {
        &self.0.homepage_url
    }

    /// Where codes may be sent, compared exactly.
    async fn redirect_uris(&self) -> Vec<&str> {
        oauth_apps::redirect_uris(&self.0).collect()
    }

    /// Whether the app authenticates with a client secret (a server) rather than PKCE
    /// alone (a browser or native app).
    async fn confidential(&self) -> bool {
        self.0.confidential
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
}

/// An app with its client secret, shown this once.
#[derive(SimpleObject)]
pub struct OAuthAppCredentials {
    pub app: OAuthApp,
    /// The client secret of a confidential app (null for public apps). Store it now: only
    /// its hash is kept.
    pub client_secret: Option<String>,
}

/// A new app.
#[derive(InputObject)]
pub struct CreateOAuthAppInput {
    /// 1–100 characters, shown on the consent page.
    pub name: String,
    /// At most 1,000 characters.
    pub description: Option<String>,
    /// An http(s) address, shown on the consent page.
    pub homepage_url: String,
    /// 1–10 redirect URIs: https, http to a loopback address, or a private-use scheme
    /// (`com.example.app:/cb`); no fragments.
    pub redirect_uris: Vec<String>,
    /// A server that can keep a secret; public apps (browser, native) use PKCE alone.
    pub confidential: bool,
}

/// An app's new fields (all of them; confidentiality cannot change).
#[derive(InputObject)]
pub struct UpdateOAuthAppInput {
    pub name: String,
    pub description: Option<String>,
    pub homepage_url: String,
    pub redirect_uris: Vec<String>,
}

impl CreateOAuthAppInput {
    /// The app's fields, validated.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` naming the first invalid field.
    pub fn fields(&self) -> AppResult<AppFields> {
        AppFields::validate(
            &self.name,
            self.description.as_deref(),
            &self.homepage_url,
            &self.redirect_uris,
        )
    }
}

impl UpdateOAuthAppInput {
    /// The app's new fields, validated.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` naming the first invalid field.
    pub fn fields(&self) -> AppResult<AppFields> {
        AppFields::validate(
            &self.name,
            self.description.as_deref(),
            &self.homepage_url,
            &self.redirect_uris,
        )
    }
}

/// An app a user granted access to their account.
pub struct AuthorizedApp {
    pub consent: oauth_consent::Model,
    pub app: oauth_app::Model,
}

#[Object]
impl AuthorizedApp {
    async fn client_id(&self) -> &str {
        &self.app.client_id
    }

    async fn name(&self) -> &str {
        &self.app.name
    }

    async fn homepage_url(&self) -> &str {
        &self.app.homepage_url
    }

    /// What the user granted.
    async fn scopes(&self) -> Vec<ScopeValue> {
        scope_values(&self.consent.scopes)
    }

    async fn granted_at(&self) -> DateTime {
        DateTime(self.consent.granted_at)
    }
}

/// A personal access token (never the token itself).
pub struct PersonalAccessToken(pub personal_access_token::Model);

#[Object]
impl PersonalAccessToken {
    async fn id(&self) -> ID {
        ID(GlobalId::encode(NodeKind::PersonalAccessToken, self.0.id))
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn scopes(&self) -> Vec<ScopeValue> {
        scope_values(&self.0.scopes)
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// When the token last authenticated a request (to the minute); null if never.
    async fn last_used_at(&self) -> Option<DateTime> {
        self.0.last_used_at.map(DateTime)
    }

    /// When the token stops working; null if never.
    async fn expires_at(&self) -> Option<DateTime> {
        self.0.expires_at.map(DateTime)
    }
}

/// A new personal access token.
#[derive(InputObject)]
pub struct CreatePersonalAccessTokenInput {
    /// 1–100 characters, to tell tokens apart.
    pub name: String,
    /// At least one.
    pub scopes: Vec<ScopeValue>,
    /// In the future, at most 366 days ahead; null: never expires.
    pub expires_at: Option<DateTime>,
}

/// A created token, shown this once.
#[derive(SimpleObject)]
pub struct PersonalAccessTokenCredentials {
    /// Send as `Authorization: Bearer <token>`. Store it now: only its hash is kept.
    pub token: String,
    pub personal_access_token: PersonalAccessToken,
}

/// A signed-in session of the account on Paperboard itself.
pub struct Session {
    pub model: sign_in::Model,
    pub current: bool,
}

#[Object]
impl Session {
    async fn id(&self) -> ID {
        ID(GlobalId::encode(NodeKind::Session, self.model.id))
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.model.created_at)
    }

    /// When the session last refreshed or authenticated a request (to five minutes).
    async fn last_used_at(&self) -> DateTime {
        DateTime(self.model.last_used_at)
    }

    /// The `User-Agent` of the sign-in, when one was sent.
    async fn user_agent(&self) -> Option<&str> {
        self.model.user_agent.as_deref()
    }

    /// The client address of the sign-in.
    async fn client_address(&self) -> Option<&str> {
        self.model.client_address.as_deref()
    }

    /// Whether this is the session of the request's own token.
    async fn current(&self) -> bool {
        self.current
    }
}

/// Profile fields to change: an omitted field stays, null or blank clears it.
#[derive(InputObject)]
pub struct UpdateProfileInput {
    /// At most 100 characters, one line.
    pub display_name: MaybeUndefined<String>,
    /// At most 500 characters.
    pub bio: MaybeUndefined<String>,
    /// An http(s) address.
    pub website_url: MaybeUndefined<String>,
    /// An http(s) address of an image.
    pub avatar_url: MaybeUndefined<String>,
}
