//! Managing OAuth apps, what was granted to them, and personal access tokens. Only a
//! first-party sign-in may: an app or a token must not mint more of its kind.

use async_graphql::{Context, ID, Object};

use crate::auth::{AccountGuard, Scope, Scopes, UnbannedGuard};
use crate::clock;
use crate::error::AppError;
use crate::services::oauth_apps;
use crate::services::oauth_grants;
use crate::services::personal_tokens::{self, NewToken};

use super::context::state;
use super::mutation::signed_in_user;
use super::types::{
    CreateOAuthAppInput, CreatePersonalAccessTokenInput, GlobalId, NodeKind, OAuthApp,
    OAuthAppCredentials, PersonalAccessToken, PersonalAccessTokenCredentials, UpdateOAuthAppInput,
};

/// Apps, grants and tokens.
#[derive(Default)]
pub struct PlatformMutation;

#[Object]
impl PlatformMutation {
    /// Registers an OAuth app. A confidential app's `clientSecret` is shown only here.
    #[graphql(name = "createOAuthApp", guard = "AccountGuard.and(UnbannedGuard)")]
    async fn create_oauth_app(
        &self,
        ctx: &Context<'_>,
        input: CreateOAuthAppInput,
    ) -> async_graphql::Result<OAuthAppCredentials> {
        let owner = signed_in_user(ctx)?;
        let fields = input.fields()?;
        let (app, client_secret) =
            oauth_apps::create(&state(ctx)?.db, owner, fields, input.confidential).await?;
        Ok(OAuthAppCredentials {
            app: OAuthApp(app),
            client_secret,
        })
    }

    /// Replaces an app's name, description, homepage and redirect URIs.
    #[graphql(name = "updateOAuthApp", guard = "AccountGuard.and(UnbannedGuard)")]
    async fn update_oauth_app(
        &self,
        ctx: &Context<'_>,
        client_id: String,
        input: UpdateOAuthAppInput,
    ) -> async_graphql::Result<OAuthApp> {
        let owner = signed_in_user(ctx)?;
        let fields = input.fields()?;
        let app = oauth_apps::update(&state(ctx)?.db, owner, &client_id, fields).await?;
        Ok(OAuthApp(app))
    }

    /// Gives a confidential app a new secret; the old one stops working at once.
    #[graphql(name = "rotateOAuthAppSecret", guard = "AccountGuard")]
    async fn rotate_oauth_app_secret(
        &self,
        ctx: &Context<'_>,
        client_id: String,
    ) -> async_graphql::Result<OAuthAppCredentials> {
        let owner = signed_in_user(ctx)?;
        let (app, secret) = oauth_apps::rotate_secret(&state(ctx)?.db, owner, &client_id).await?;
        Ok(OAuthAppCredentials {
            app: OAuthApp(app),
            client_secret: Some(secret),
        })
    }

    /// Deletes an app; every token it holds stops working.
    #[graphql(name = "deleteOAuthApp", guard = "AccountGuard")]
    async fn delete_oauth_app(
        &self,
        ctx: &Context<'_>,
        client_id: String,
    ) -> async_graphql::Result<bool> {
        let owner = signed_in_user(ctx)?;
        oauth_apps::delete(state(ctx)?.services(), owner, &client_id).await?;
        Ok(true)
    }

    /// Withdraws what the viewer granted an app: its tokens for the viewer stop working,
    /// and it must ask for consent again. `false` when nothing was granted.
    #[graphql(guard = "AccountGuard")]
    async fn revoke_app_authorization(
        &self,
        ctx: &Context<'_>,
        client_id: String,
    ) -> async_graphql::Result<bool> {
        let user_id = signed_in_user(ctx)?;
        let state = state(ctx)?;
        let Some(app) = oauth_apps::by_client_id(state.db.reader(), &client_id).await? else {
            return Err(AppError::NotFound { resource: "app" }.into());
        };
        Ok(oauth_grants::revoke_authorization(state.services(), user_id, app.id).await?)
    }

    /// Creates a personal access token with the given scopes. The token is shown only here.
    #[graphql(guard = "AccountGuard")]
    async fn create_personal_access_token(
        &self,
        ctx: &Context<'_>,
        input: CreatePersonalAccessTokenInput,
    ) -> async_graphql::Result<PersonalAccessTokenCredentials> {
        let user_id = signed_in_user(ctx)?;
        let scopes: Scopes = input.scopes.into_iter().map(Scope::from).collect();
        let new = NewToken::validate(
            &input.name,
            scopes,
            input.expires_at.map(|at| at.0),
            clock::now(),
        )?;
        let (row, token) = personal_tokens::create(&state(ctx)?.db, user_id, new).await?;
        Ok(PersonalAccessTokenCredentials {
            token,
            personal_access_token: PersonalAccessToken(row),
        })
    }

    /// Revokes one of the viewer's personal access tokens; it stops working at once.
    #[graphql(guard = "AccountGuard")]
    async fn revoke_personal_access_token(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<bool> {
        let user_id = signed_in_user(ctx)?;
        let token = GlobalId::decode_as(&id, NodeKind::PersonalAccessToken, "id")?;
        let state = state(ctx)?;
        let revoked = personal_tokens::revoke(&state.db, user_id, token).await?;
        if revoked.publish(&state.events).await > 0 {
            Ok(true)
        } else {
            Err(AppError::NotFound {
                resource: "personal access token",
            }
            .into())
        }
    }
}
