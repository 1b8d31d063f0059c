//! The account's own mutations: registering, signing in and out, passwords, email,
//! profile, sessions, export and deletion.

use async_graphql::{Context, ID, MaybeUndefined, Object};

use crate::auth::{AccountGuard, UnbannedGuard};
use crate::error::AppError;
use crate::services::accounts::{self, Registration};
use crate::services::profiles::{FieldChange, ProfileChanges};
use crate::services::sign_ins::{self, Origin, Presenter};
use crate::services::{account_data, email_verification, passwords, profiles};

use super::context::{state, viewer};
use super::mutation::{UserAgent, client_addr, signed_in_user};
use super::types::{
    AuthPayload, GlobalId, LoginInput, NodeKind, RegisterInput, UpdateProfileInput, User,
};

/// Accounts.
#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Creates an account and signs it in.
    async fn register(
        &self,
        ctx: &Context<'_>,
        input: RegisterInput,
    ) -> async_graphql::Result<AuthPayload> {
        let state = state(ctx)?;
        let registration = Registration::validate(
            &input.username,
            &input.email,
            input.password,
            input.display_name.as_deref(),
        )?;
        let signed_in = accounts::register(
            state.services(),
            &state.auth,
            registration,
            origin(ctx),
            client_addr(ctx),
        )
        .await?;
        Ok(AuthPayload::from(signed_in))
    }

    /// Signs in with a username or email and a password. Every failure is the same
    /// `UNAUTHENTICATED` error; repeated failures are slowed down (`RATE_LIMITED`).
    async fn login(
        &self,
        ctx: &Context<'_>,
        input: LoginInput,
    ) -> async_graphql::Result<AuthPayload> {
        let state = state(ctx)?;
        let signed_in = accounts::login(
            state.services(),
            &state.auth,
            &input.username_or_email,
            input.password,
            origin(ctx),
            client_addr(ctx),
        )
        .await?;
        Ok(AuthPayload::from(signed_in))
    }

    /// Exchanges a refresh token for new tokens. The old refresh token stops working;
    /// presenting it again revokes the whole session. (OAuth apps refresh at
    /// `/oauth/token`.)
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<AuthPayload> {
        let state = state(ctx)?;
        let signed_in = sign_ins::rotate(
            state.services(),
            &state.auth,
            &refresh_token,
            Presenter::FirstParty,
            None,
        )
        .await
        .map_err(AppError::from)?;
        Ok(AuthPayload::from(signed_in))
    }

    /// Ends the session of a refresh token, its access tokens included: `true` when it
    /// revoked one, `false` for an unknown or already revoked token.
    async fn logout(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<bool> {
        Ok(sign_ins::logout(state(ctx)?.services(), &refresh_token).await?)
    }

    /// Replaces the viewer's password after checking the current one. Every other session
    /// ends (this one stays signed in). Wrong passwords count as failed logins.
    #[graphql(guard = "AccountGuard")]
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> async_graphql::Result<bool> {
        let state = state(ctx)?;
        let user_id = signed_in_user(ctx)?;
        passwords::change(
            state.services(),
            &state.auth,
            user_id,
            (current_password, new_password),
            viewer(ctx).sign_in(),
            client_addr(ctx),
        )
        .await?;
        Ok(true)
    }

    /// Edits the viewer's profile; omitted fields stay as they are. Not while banned.
    #[graphql(guard = "AccountGuard.and(UnbannedGuard)")]
    async fn update_profile(
        &self,
        ctx: &Context<'_>,
        input: UpdateProfileInput,
    ) -> async_graphql::Result<User> {
        let user_id = signed_in_user(ctx)?;
        let changes = ProfileChanges {
            display_name: change(input.display_name),
            bio: change(input.bio),
            website_url: change(input.website_url),
            avatar_url: change(input.avatar_url),
        };
        let user = profiles::update(state(ctx)?.services(), user_id, changes).await?;
        Ok(User::seen_by_self(user))
    }

    /// Mails a password-reset link (valid 30 minutes) to the account with this address.
    /// Always answers `true`, at once, whether or not such an account exists.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        email: String,
    ) -> async_graphql::Result<bool> {
        let state = state(ctx)?.clone();
        if let Some(client) = client_addr(ctx) {
            state
                .limits
                .password_resets
                .take(format!("client:{client}"))
                .await?;
        }
        // Answered before the lookup and the mail, so the answer's timing tells nothing.
        tokio::spawn(async move {
            let base_url = state.config.platform.base_url();
            let mailed =
                passwords::mail_reset_link(state.services(), &state.mailer, &base_url, &email)
                    .await;
            if let Err(error) = mailed {
                tracing::error!(%error, "password reset mail failed");
            }
        });
        Ok(true)
    }

    /// Sets a new password with the token of a reset mail (single use). Every session of
    /// the account ends.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        token: String,
        new_password: String,
    ) -> async_graphql::Result<bool> {
        let state = state(ctx)?;
        passwords::reset(state.services(), &state.auth, &token, new_password).await?;
        Ok(true)
    }

    /// Mails a link that proves the viewer's address (nothing when already verified).
    #[graphql(guard = "AccountGuard")]
    async fn request_email_verification(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let state = state(ctx)?;
        let user_id = signed_in_user(ctx)?;
        let base_url = state.config.platform.base_url();
        email_verification::request(state.services(), &state.mailer, &base_url, user_id).await?;
        Ok(true)
    }

    /// Marks an address verified with the token of a verification mail (single use).
    async fn verify_email(&self, ctx: &Context<'_>, token: String) -> async_graphql::Result<bool> {
        email_verification::verify(state(ctx)?.services(), &token).await?;
        Ok(true)
    }

    /// Ends one of the viewer's sessions (its tokens stop working at once).
    #[graphql(guard = "AccountGuard")]
    async fn revoke_session(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let user_id = signed_in_user(ctx)?;
        let sign_in = GlobalId::decode_as(&id, NodeKind::Session, "id")?;
        let state = state(ctx)?;
        let writer = state.db.writer();
        let live = sign_ins::live(writer, sign_in, user_id)
            .await?
            .filter(|model| model.app_id.is_none())
            .ok_or(AppError::NotFound {
                resource: "session",
            })?;
        let revoked = sign_ins::revoke(writer, live.id).await?;
        Ok(revoked.publish(&state.events).await > 0)
    }

    /// Everything stored about the viewer, as one JSON document.
    #[graphql(guard = "AccountGuard")]
    async fn export_account_data(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let user_id = signed_in_user(ctx)?;
        let document = account_data::export(state(ctx)?.db.reader(), user_id).await?;
        Ok(serde_json::to_string_pretty(&document).map_err(AppError::internal)?)
    }

    /// Deletes the viewer's account after checking its password: sessions, tokens, apps,
    /// upvotes (counts stay exact), bookmarks, follows, private collections and
    /// notifications go with it; comments and public or unlisted collections stay, as by a
    /// deleted user.
    #[graphql(guard = "AccountGuard")]
    async fn delete_account(
        &self,
        ctx: &Context<'_>,
        password: String,
    ) -> async_graphql::Result<bool> {
        let state = state(ctx)?;
        let user_id = signed_in_user(ctx)?;
        account_data::delete(
            state.services(),
            &state.auth,
            user_id,
            password,
            client_addr(ctx),
        )
        .await?;
        Ok(true)
    }
}

/// Where a sign-in made by this request comes from.
fn origin(ctx: &Context<'_>) -> Origin {
    Origin {
        user_agent: ctx
            .data_opt::<UserAgent>()
            .and_then(|agent| agent.0.clone()),
        client_address: client_addr(ctx).map(|addr| addr.to_string()),
        ..Origin::default()
    }
}

fn change(value: MaybeUndefined<String>) -> FieldChange {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(text) => Some(Some(text)),
    }
}
