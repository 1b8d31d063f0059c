//! Turns the bus's changes into what subscriptions resolve: each change is loaded once per
//! instance (the paper, its byline, its submitter, and a loader its subscribers share; or
//! the comment), and handed to every subscription of the instance, which filters it in
//! memory.
//!
//! Slow consumers: the hand-over keeps the last [`BUFFERED_EVENTS`] events. A subscriber
//! that falls further behind is *told*: its stream yields a `RATE_LIMITED` error carrying
//! `missedEvents`, then continues with the newest events. Nothing grows without bound.

use std::collections::HashMap;
use std::sync::Arc;

use entity::{comment, notification, paper, user};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use crate::error::AppResult;
use crate::events::Change;
use crate::services::bylines::{self, Byline, BylineKey};
use crate::services::{categories, comments, notifications, papers, users};
use crate::state::AppState;

use super::loaders::{self, RequestLoader};

/// Events kept for subscribers that are behind.
pub const BUFFERED_EVENTS: usize = 1_024;

/// A change with what subscribers need to resolve it.
pub struct PaperEvent {
    pub change: Change,
    pub paper: Arc<paper::Model>,
    pub byline: Byline,
    pub submitter: Option<user::Model>,
    /// The paper's category codes (loaded for new papers only: filters test them).
    pub categories: Vec<String>,
    /// Shared by every subscriber resolving this event, so that their field loads batch.
    pub loader: Arc<RequestLoader>,
}

/// A change to a paper's discussion with the comment as it now is.
pub struct CommentEvent {
    pub paper_id: i64,
    pub comment_id: i64,
    /// Whether the comment is new (else it changed).
    pub added: bool,
    /// `None` once the comment is gone.
    pub comment: Option<Arc<comment::Model>>,
    /// Shared by every subscriber resolving this event.
    pub loader: Arc<RequestLoader>,
}

/// Notifications written together, by recipient.
pub struct NotificationsEvent {
    pub by_user: HashMap<i64, Vec<Arc<notification::Model>>>,
    /// Shared by every subscriber resolving this event.
    pub loader: Arc<RequestLoader>,
}

/// What subscriptions receive.
#[derive(Clone)]
pub enum Live {
    Paper(Arc<PaperEvent>),
    Comment(Arc<CommentEvent>),
    Notifications(Arc<NotificationsEvent>),
    /// Changes this instance could not load in time (it fell behind the bus).
    Missed(u64),
}

/// The instance's live events, for subscriptions.
pub struct LiveEvents {
    events: broadcast::Sender<Live>,
}

impl LiveEvents {
    /// No subscriber yet.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            events: broadcast::channel(BUFFERED_EVENTS).0,
        })
    }

    /// A new subscriber.
    pub fn subscribe(&self) -> broadcast::Receiver<Live> {
        self.events.subscribe()
    }
}

/// Loads every change of `state`'s bus and hands it to the subscribers of `live`, until the
/// task is stopped.
pub async fn run(live: Arc<LiveEvents>, state: AppState) {
    let mut changes = state.events.subscribe();
    loop {
        let change = match changes.recv().await {
            Ok(change) => change,
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "subscribers missed changes: loading fell behind");
                let _none_listening = live.events.send(Live::Missed(missed));
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        if let Change::PaperRemoved { paper_id } | Change::PaperRevised { paper_id } = change {
            // The instance that wrote forgot it already; the others learn it here.
            state.bylines.forget(paper_id);
        }
        if let Change::CommentAdded {
            paper_id,
            comment_id,
        }
        | Change::CommentChanged {
            paper_id,
            comment_id,
        } = change
        {
            if live.events.receiver_count() > 0 {
                let added = matches!(change, Change::CommentAdded { .. });
                match load_comment(&state, paper_id, comment_id, added).await {
                    Ok(event) => {
                        let _none_listening = live.events.send(Live::Comment(Arc::new(event)));
                    }
                    Err(error) => tracing::warn!(?error, ?change, "cannot load an event"),
                }
            }
            continue;
        }
        if let Change::Notified { first_id, last_id } = change {
            if live.events.receiver_count() > 0 {
                match load_notifications(&state, first_id, last_id).await {
                    Ok(event) => {
                        let _none_listening =
                            live.events.send(Live::Notifications(Arc::new(event)));
                    }
                    Err(error) => tracing::warn!(?error, ?change, "cannot load an event"),
                }
            }
            continue;
        }
        let Some(paper_id) = change.live_paper_id() else {
            continue;
        };
        if live.events.receiver_count() == 0 {
            continue;
        }
        match load(&state, change, paper_id).await {
            Ok(Some(event)) => {
                let _none_listening = live.events.send(Live::Paper(Arc::new(event)));
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(?error, ?change, "cannot load an event"),
        }
    }
}

async fn load_notifications(
    state: &AppState,
    first_id: i64,
    last_id: i64,
) -> AppResult<NotificationsEvent> {
    let written = notifications::in_range(state.db.reader(), first_id, last_id).await?;
    let mut by_user: HashMap<i64, Vec<Arc<notification::Model>>> = HashMap::new();
    for model in written {
        by_user
            .entry(model.user_id)
            .or_default()
            .push(Arc::new(model));
    }
    Ok(NotificationsEvent {
        by_user,
        loader: Arc::new(loaders::for_request(state)),
    })
}

async fn load_comment(
    state: &AppState,
    paper_id: i64,
    comment_id: i64,
    added: bool,
) -> AppResult<CommentEvent> {
    let comment = comments::by_ids(state.db.reader(), &[comment_id])
        .await?
        .remove(&comment_id);
    Ok(CommentEvent {
        paper_id,
        comment_id,
        added,
        comment: comment.map(Arc::new),
        loader: Arc::new(loaders::for_request(state)),
    })
}

async fn load(state: &AppState, change: Change, paper_id: i64) -> AppResult<Option<PaperEvent>> {
    let db = state.db.reader();
    let Some(paper) = papers::by_id(db, paper_id).await? else {
        return Ok(None);
    };
    let byline = bylines::load(db, &state.bylines, &[BylineKey::of(&paper)])
        .await?
        .remove(&paper.id)
        .unwrap_or_default();
    let submitter = match paper.submitted_by {
        Some(id) => users::by_id(db, id).await?,
        None => None,
    };
    let categories = match change {
        Change::PaperAdded { .. } => categories::of_paper(db, paper.id).await?,
        _ => Vec::new(),
    };
    Ok(Some(PaperEvent {
        change,
        paper: Arc::new(paper),
        byline,
        submitter,
        categories,
        loader: Arc::new(loaders::for_request(state)),
    }))
}
