//! Everything stored about a user, exported as one JSON document, and the account's
//! deletion.
//!
//! Deleting an account removes its private collections, then its row; the database's
//! foreign keys take the rest with it: sign-ins and their tokens, personal tokens, apps,
//! upvotes (the count triggers keep every paper's count exact), comment votes, bookmarks,
//! follows and notifications. Comments, public and unlisted collections, and submitted
//! papers stay, as by a deleted user (their owner set null).
//! The new counts, the changed comments and the account's removal are published, as any
//! other write's are.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use entity::{
    author_follow, category_follow, collection, collection_item, comment, comment_upvote,
    oauth_app, paper, personal_access_token, report, saved_paper, sign_in, upvote, user,
    user_follow,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde_json::{Value, json};

use crate::auth::Auth;
use crate::domain::collection::Visibility;
use crate::error::{AppError, AppResult};
use crate::events::Change;

use super::{Context, oauth_grants, passwords, users};

/// The JSON document of everything stored about `user_id`.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn export(db: &impl ConnectionTrait, user_id: i64) -> AppResult<Value> {
    let user = users::by_id(db, user_id)
        .await?
        .ok_or(AppError::Unauthenticated("the account is gone"))?;
    let arxiv_of = paper_names(db, user_id).await?;
    let paper_name = |id: i64| arxiv_of.get(&id).cloned().unwrap_or(Value::Null);
    let upvotes: Vec<Value> = upvote::Entity::find()
        .filter(upvote::Column::UserId.eq(user_id))
        .order_by_asc(upvote::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|row| json!({ "paper": paper_name(row.paper_id), "at": time(row.created_at) }))
        .collect();
    let saved: Vec<Value> = saved_paper::Entity::find()
        .filter(saved_paper::Column::UserId.eq(user_id))
        .order_by_asc(saved_paper::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|row| json!({ "paper": paper_name(row.paper_id), "at": time(row.created_at) }))
        .collect();
    Ok(json!({
        "exportedAt": time(Utc::now()),
        "account": account(&user),
        "sessions": sessions(db, user_id).await?,
        "personalAccessTokens": personal_tokens(db, user_id).await?,
        "oauthApps": apps(db, user_id).await?,
        "authorizedApps": authorized(db, user_id).await?,
        "upvotes": upvotes,
        "savedPapers": saved,
        "following": following(db, user_id).await?,
        "collections": collections(db, user_id, &paper_name).await?,
        "comments": comments(db, user_id, &paper_name).await?,
        "submittedPapers": submitted(db, user_id).await?,
        "reports": reports(db, user_id).await?,
    }))
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn account(user: &user::Model) -> Value {
    json!({
        "username": user.username,
        "email": user.email,
        "emailVerifiedAt": user.email_verified_at.map(time),
        "displayName": user.display_name,
        "bio": user.bio,
        "websiteUrl": user.website_url,
        "avatarUrl": user.avatar_url,
        "role": user.role,
        "createdAt": time(user.created_at),
        "banReason": user.ban_reason,
        "bannedUntil": user.banned_until.map(time),
    })
}

/// Each paper the user touched (upvoted, saved, collected, commented on): its arXiv id, or
/// its title for a paper without one. One statement: the papers are selected by subqueries,
/// not by ids read first.
async fn paper_names(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> AppResult<std::collections::HashMap<i64, Value>> {
    let upvoted = sea_orm::sea_query::Query::select()
        .column(upvote::Column::PaperId)
        .from(upvote::Entity)
        .and_where(upvote::Column::UserId.eq(user_id))
        .to_owned();
    let saved = sea_orm::sea_query::Query::select()
        .column(saved_paper::Column::PaperId)
        .from(saved_paper::Entity)
        .and_where(saved_paper::Column::UserId.eq(user_id))
        .to_owned();
    let commented = sea_orm::sea_query::Query::select()
        .column(comment::Column::PaperId)
        .from(comment::Entity)
        .and_where(comment::Column::AuthorId.eq(user_id))
        .to_owned();
    let collected = sea_orm::sea_query::Query::select()
        .column(collection_item::Column::PaperId)
        .from(collection_item::Entity)
        .and_where(
            collection_item::Column::CollectionId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(collection::Column::Id)
                    .from(collection::Entity)
                    .and_where(collection::Column::OwnerId.eq(user_id))
                    .to_owned(),
            ),
        )
        .to_owned();
    let touched = Condition::any()
        .add(paper::Column::Id.in_subquery(upvoted))
        .add(paper::Column::Id.in_subquery(saved))
        .add(paper::Column::Id.in_subquery(commented))
        .add(paper::Column::Id.in_subquery(collected));
    let rows: Vec<(i64, Option<String>, String)> = paper::Entity::find()
        .filter(touched)
        .select_only()
        .columns([
            paper::Column::Id,
            paper::Column::ArxivId,
            paper::Column::Title,
        ])
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, arxiv_id, title)| {
            let name = arxiv_id.map_or_else(
                || json!({ "title": title }),
                |arxiv_id| json!({ "arxivId": arxiv_id, "title": title }),
            );
            (id, name)
        })
        .collect())
}

async fn sessions(db: &impl ConnectionTrait, user_id: i64) -> AppResult<Vec<Value>> {
    Ok(sign_in::Entity::find()
        .filter(sign_in::Column::UserId.eq(user_id))
        .order_by_asc(sign_in::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            json!({
                "createdAt": time(row.created_at),
                "lastUsedAt": time(row.last_used_at),
                "revokedAt": row.revoked_at.map(time),
                "userAgent": row.user_agent,
                "clientAddress": row.client_address,
                "scopes": row.scopes,
                "throughApp": row.app_id.is_some(),
            })
        })
        .collect())
}

async fn personal_tokens(db: &impl ConnectionTrait, user_id: i64) -> AppResult<Vec<Value>> {
    Ok(personal_access_token::Entity::find()
        .filter(personal_access_token::Column::UserId.eq(user_id))
        .order_by_asc(personal_access_token::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            json!({
                "name": row.name,
                "scopes": row.scopes,
                "createdAt": time(row.created_at),
                "lastUsedAt": row.last_used_at.map(time),
                "expiresAt": row.expires_at.map(time),
                "revokedAt": row.revoked_at.map(time),
            })
        })
        .collect())
}

async fn apps(db: &impl ConnectionTrait, user_id: i64) -> AppResult<Vec<Value>> {
    Ok(oauth_app::Entity::find()
        .filter(oauth_app::Column::OwnerId.eq(user_id))
        .order_by_asc(oauth_app::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            json!({
                "clientId": row.client_id,
                "name": row.name,
                "description": row.description,
                "homepageUrl": row.homepage_url,
                "redirectUris": row.redirect_uris.lines().collect::<Vec<_>>(),
                "confidential": row.confidential,
                "createdAt": time(row.created_at),
            })
        })
        .collect())
}

async fn authorized(db: &impl ConnectionTrait, user_id: i64) -> AppResult<Vec<Value>> {
    Ok(oauth_grants::authorized_apps(db, user_id)
        .await?
        .into_iter()
        .map(|(granted, app)| {
            json!({
                "clientId": app.client_id,
                "name": app.name,
                "scopes": granted.scopes,
                "grantedAt": time(granted.granted_at),
            })
        })
        .collect())
}

async fn following(db: &impl ConnectionTrait, user_id: i64) -> AppResult<Value> {
    let authors: Vec<Value> = author_follow::Entity::find()
        .filter(author_follow::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|row| json!({ "authorId": row.author_id, "at": time(row.created_at) }))
        .collect();
    let user_ids: Vec<user_follow::Model> = user_follow::Entity::find()
        .filter(user_follow::Column::FollowerId.eq(user_id))
        .all(db)
        .await?;
    let names = users::by_ids(
        db,
        &user_ids.iter().map(|row| row.user_id).collect::<Vec<_>>(),
    )
    .await?;
    let followed_users: Vec<Value> = user_ids
        .iter()
        .map(|row| {
            let username = names.get(&row.user_id).map(|user| user.username.clone());
            json!({ "username": username, "at": time(row.created_at) })
        })
        .collect();
    let categories: Vec<Value> = category_follow::Entity::find()
        .filter(category_follow::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|row| json!({ "category": row.code, "at": time(row.created_at) }))
        .collect();
    Ok(json!({ "authors": authors, "users": followed_users, "categories": categories }))
}

async fn collections(
    db: &impl ConnectionTrait,
    user_id: i64,
    paper_name: &impl Fn(i64) -> Value,
) -> AppResult<Vec<Value>> {
    let owned = collection::Entity::find()
        .filter(collection::Column::OwnerId.eq(user_id))
        .order_by_asc(collection::Column::Id)
        .all(db)
        .await?;
    let mut exported = Vec::with_capacity(owned.len());
    for row in owned {
        let items: Vec<Value> = collection_item::Entity::find()
            .filter(collection_item::Column::CollectionId.eq(row.id))
            .order_by_asc(collection_item::Column::Position)
            .all(db)
            .await?
            .into_iter()
            .map(|item| {
                json!({ "paper": paper_name(item.paper_id), "note": item.note, "addedAt": time(item.added_at) })
            })
            .collect();
        exported.push(json!({
            "name": row.name,
            "description": row.description,
            "visibility": row.visibility,
            "createdAt": time(row.created_at),
            "items": items,
        }));
    }
    Ok(exported)
}

async fn comments(
    db: &impl ConnectionTrait,
    user_id: i64,
    paper_name: &impl Fn(i64) -> Value,
) -> AppResult<Vec<Value>> {
    Ok(comment::Entity::find()
        .filter(comment::Column::AuthorId.eq(user_id))
        .order_by_asc(comment::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            json!({
                "paper": paper_name(row.paper_id),
                "body": row.body,
                "createdAt": time(row.created_at),
                "editedAt": row.edited_at.map(time),
                "deleted": row.deleted,
                "hidden": row.hidden,
            })
        })
        .collect())
}

async fn submitted(db: &impl ConnectionTrait, user_id: i64) -> AppResult<Vec<Value>> {
    Ok(paper::Entity::find()
        .filter(paper::Column::SubmittedBy.eq(user_id))
        .order_by_asc(paper::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| json!({ "arxivId": row.arxiv_id, "title": row.title, "submittedAt": time(row.submitted_at) }))
        .collect())
}

async fn reports(db: &impl ConnectionTrait, user_id: i64) -> AppResult<Vec<Value>> {
    Ok(report::Entity::find()
        .filter(report::Column::ReporterId.eq(user_id))
        .order_by_asc(report::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            json!({
                "target": row.target_kind,
                "reason": row.reason,
                "status": row.status,
                "createdAt": time(row.created_at),
            })
        })
        .collect())
}

/// Deletes the account after checking its password (see the module's comment for what
/// goes with it).
///
/// # Errors
/// As `passwords::confirm`; `INTERNAL_SERVER_ERROR` on failure.
pub async fn delete(
    ctx: Context<'_>,
    auth: &Auth,
    user_id: i64,
    password: String,
    client: Option<IpAddr>,
) -> AppResult<()> {
    passwords::confirm(ctx, auth, user_id, password, client).await?;
    let db = ctx.db.writer();
    let touched = Touched::of(db, user_id).await?;
    let transaction = db.begin().await?;
    collection::Entity::delete_many()
        .filter(collection::Column::OwnerId.eq(user_id))
        .filter(collection::Column::Visibility.eq(Visibility::Private.as_str()))
        .exec(&transaction)
        .await?;
    user::Entity::delete_by_id(user_id)
        .exec(&transaction)
        .await?;
    transaction.commit().await?;
    let mut changes = touched.changes(db).await?;
    changes.push(Change::UserChanged { user_id });
    ctx.events.publish_all(&changes).await;
    tracing::info!(
        user.id = user_id,
        changes = changes.len(),
        "account deleted"
    );
    Ok(())
}

/// What an account's deletion changes for everyone else: the counts of the papers it
/// upvoted, and the comments it wrote or upvoted. Published so that subscribers and the
/// shared answers of anonymous reads see the new state.
struct Touched {
    upvoted_papers: Vec<i64>,
    /// `(paper_id, comment_id)`.
    comments: Vec<(i64, i64)>,
}

impl Touched {
    async fn of(db: &impl ConnectionTrait, user_id: i64) -> AppResult<Self> {
        let upvoted_papers: Vec<i64> = upvote::Entity::find()
            .filter(upvote::Column::UserId.eq(user_id))
            .select_only()
            .column(upvote::Column::PaperId)
            .into_tuple()
            .all(db)
            .await?;
        let voted: Vec<i64> = comment_upvote::Entity::find()
            .filter(comment_upvote::Column::UserId.eq(user_id))
            .select_only()
            .column(comment_upvote::Column::CommentId)
            .into_tuple()
            .all(db)
            .await?;
        let mut comments: Vec<(i64, i64)> = comment::Entity::find()
            .filter(comment::Column::AuthorId.eq(user_id))
            .select_only()
            .columns([comment::Column::PaperId, comment::Column::Id])
            .into_tuple()
            .all(db)
            .await?;
        for chunk in voted.chunks(500) {
            let found: Vec<(i64, i64)> = comment::Entity::find()
                .filter(comment::Column::Id.is_in(chunk.to_vec()))
                .select_only()
                .columns([comment::Column::PaperId, comment::Column::Id])
                .into_tuple()
                .all(db)
                .await?;
            comments.extend(found);
        }
        comments.sort_unstable();
        comments.dedup();
        Ok(Self {
            upvoted_papers,
            comments,
        })
    }

    /// The changes to publish, with the papers' counts as they now stand.
    async fn changes(&self, db: &impl ConnectionTrait) -> AppResult<Vec<Change>> {
        let mut changes = Vec::with_capacity(self.upvoted_papers.len() + self.comments.len());
        for chunk in self.upvoted_papers.chunks(500) {
            let counts: Vec<(i64, i32)> = paper::Entity::find()
                .filter(paper::Column::Id.is_in(chunk.to_vec()))
                .select_only()
                .columns([paper::Column::Id, paper::Column::UpvoteCount])
                .into_tuple()
                .all(db)
                .await?;
            changes.extend(counts.into_iter().map(|(paper_id, upvote_count)| {
                Change::UpvoteChanged {
                    paper_id,
                    upvote_count,
                }
            }));
        }
        changes.extend(self.comments.iter().map(|&(paper_id, comment_id)| {
            Change::CommentChanged {
                paper_id,
                comment_id,
            }
        }));
        Ok(changes)
    }
}
