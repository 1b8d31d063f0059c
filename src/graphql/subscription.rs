//! Live updates: new papers, upvote counts and the discussion, as they are committed on
//! any instance.

use std::sync::Arc;

use async_graphql::{Context, ID, Subscription};
use futures_util::{Stream, StreamExt};
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;

use crate::error::AppError;
use crate::events::Change;
use crate::graphql::types::{GlobalId, NodeKind};
use crate::services::follows;
use crate::services::papers::Related;

use super::context::{state, viewer};
use super::live::{Live, LiveEvents};
use super::types::{Comment, CommentChange, Notification, Paper, PaperFilterInput, UpvoteEvent};

/// Entry points for subscribing.
#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Every newly submitted or imported paper that passes `filter` (the same filter as
    /// `papers`).
    async fn paper_added(
        &self,
        ctx: &Context<'_>,
        filter: Option<PaperFilterInput>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Paper>> + use<>> {
        let mut filter = filter
            .unwrap_or_default()
            .decode("filter", viewer(ctx).user_id())?;
        if let Some(followed) = &mut filter.followed_by {
            // Read once: follows made later reach this subscription when it is renewed.
            let sources = follows::sources_of(state(ctx)?.db.reader(), followed.user_id).await?;
            followed.sources = Some(Arc::new(sources));
        }
        let events = live(ctx)?.subscribe();
        Ok(selected(events, move |event: &Live| {
            let Live::Paper(event) = event else {
                return None;
            };
            let Change::PaperAdded { .. } = event.change else {
                return None;
            };
            let author_ids: Vec<i64> = event.byline.iter().map(|author| author.id).collect();
            let related = Related {
                author_ids: &author_ids,
                submitter: event.submitter.as_ref(),
                categories: &event.categories,
            };
            filter
                .matches(&event.paper, related)
                .then(|| Paper::from_event(Arc::clone(&event.paper), Arc::clone(&event.loader)))
        }))
    }

    /// The signed-in viewer's new notifications, from any instance, as they are written
    /// (a gathered entry arrives again each time it gathers more).
    async fn notification_received(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Notification>> + use<>>
    {
        let user_id = viewer(ctx)
            .user_id()
            .ok_or(AppError::Unauthenticated("sign in first"))?;
        viewer(ctx).require_inbox_scope()?;
        let events = live(ctx)?.subscribe();
        let batches = selected(events, move |event: &Live| {
            let Live::Notifications(event) = event else {
                return None;
            };
            let mine = event.by_user.get(&user_id)?;
            let loader = &event.loader;
            Some(
                mine.iter()
                    .map(|model| Notification::from_event(Arc::clone(model), Arc::clone(loader)))
                    .collect::<Vec<_>>(),
            )
        });
        Ok(batches.flat_map(|batch| {
            let items: Vec<async_graphql::Result<Notification>> = match batch {
                Ok(notifications) => notifications.into_iter().map(Ok).collect(),
                Err(error) => vec![Err(error)],
            };
            futures_util::stream::iter(items)
        }))
    }

    /// Upvote count changes of one paper, or of every paper when `paperId` is omitted.
    async fn paper_upvote_changed(
        &self,
        ctx: &Context<'_>,
        paper_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<UpvoteEvent>> + use<>> {
        let only = paper_id
            .map(|id| GlobalId::decode_as(&id, NodeKind::Paper, "paperId"))
            .transpose()?;
        let events = live(ctx)?.subscribe();
        Ok(selected(events, move |event: &Live| {
            let Live::Paper(event) = event else {
                return None;
            };
            let Change::UpvoteChanged {
                paper_id,
                upvote_count,
            } = event.change
            else {
                return None;
            };
            only.is_none_or(|only| only == paper_id)
                .then(|| UpvoteEvent {
                    paper: Paper::from_event(Arc::clone(&event.paper), Arc::clone(&event.loader)),
                    upvote_count,
                })
        }))
    }

    /// Comments added to the discussion of paper `paperId` (replies included).
    async fn comment_added(
        &self,
        ctx: &Context<'_>,
        paper_id: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Comment>> + use<>> {
        let paper_id = GlobalId::decode_as(&paper_id, NodeKind::Paper, "paperId")?;
        let events = live(ctx)?.subscribe();
        Ok(selected(events, move |event: &Live| {
            let Live::Comment(event) = event else {
                return None;
            };
            let comment = event.comment.as_ref()?;
            (event.added && event.paper_id == paper_id)
                .then(|| Comment::from_event(Arc::clone(comment), Arc::clone(&event.loader)))
        }))
    }

    /// Changes to the comments of paper `paperId`: edits, deletions, hides and upvote
    /// counts. A hidden comment's body reaches only its author and moderators.
    async fn comment_changed(
        &self,
        ctx: &Context<'_>,
        paper_id: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<CommentChange>> + use<>>
    {
        let paper_id = GlobalId::decode_as(&paper_id, NodeKind::Paper, "paperId")?;
        let events = live(ctx)?.subscribe();
        Ok(selected(events, move |event: &Live| {
            let Live::Comment(event) = event else {
                return None;
            };
            (!event.added && event.paper_id == paper_id).then(|| CommentChange {
                comment_id: ID(GlobalId::encode(NodeKind::Comment, event.comment_id)),
                comment: event.comment.as_ref().map(|comment| {
                    Comment::from_event(Arc::clone(comment), Arc::clone(&event.loader))
                }),
            })
        }))
    }
}

fn live<'a>(ctx: &Context<'a>) -> Result<&'a Arc<LiveEvents>, AppError> {
    ctx.data::<Arc<LiveEvents>>()
        .map_err(|_| AppError::internal("the schema was built without live events"))
}

/// The events `select` keeps, as a stream; a subscriber that fell behind (or whose
/// instance did) is told how many events it missed, then continues with the newest.
fn selected<T>(
    events: Receiver<Live>,
    select: impl Fn(&Live) -> Option<T> + Send + 'static,
) -> impl Stream<Item = async_graphql::Result<T>> {
    futures_util::stream::unfold((events, select), |(mut events, select)| async move {
        loop {
            let missed = match events.recv().await {
                Ok(Live::Missed(missed)) | Err(RecvError::Lagged(missed)) => missed,
                Ok(event) => {
                    if let Some(item) = select(&event) {
                        return Some((Ok(item), (events, select)));
                    }
                    continue;
                }
                Err(RecvError::Closed) => return None,
            };
            crate::telemetry::metrics::results_dropped(missed);
            let error = AppError::FellBehind { missed }.into();
            return Some((Err(error), (events, select)));
        }
    })
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;
    use tokio::sync::broadcast;

    use super::*;

    /// `Missed` events carrying the number `n` stand in for events; a real event is
    /// never built here, so the selection never runs.
    fn missed_code(item: Option<async_graphql::Result<()>>) -> Option<async_graphql::Value> {
        item.and_then(Result::err)
            .and_then(|error| error.extensions)
            .and_then(|extensions| extensions.get("code").cloned())
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_told_then_continues() {
        let (sender, receiver) = broadcast::channel::<Live>(2);
        let mut stream = Box::pin(selected(receiver, |_: &Live| Some(())));
        for n in 1..=5 {
            let _ = sender.send(Live::Missed(n));
        }
        // Capacity 2: the first three were dropped, and the subscriber is told; then the
        // instance's own report of missed changes comes through the same way.
        let rate_limited = Some(async_graphql::Value::from("RATE_LIMITED"));
        assert_eq!(missed_code(stream.next().await), rate_limited);
        assert_eq!(missed_code(stream.next().await), rate_limited);
        assert_eq!(missed_code(stream.next().await), rate_limited);
        drop(sender);
        assert!(
            stream.next().await.is_none(),
            "the stream ends with the bus"
        );
    }
}
