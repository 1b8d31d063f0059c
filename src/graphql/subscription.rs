//! Live updates: new papers and upvote counts, as they are committed on any instance.

use std::sync::Arc;

use async_graphql::{Context, ID, Subscription};
use futures_util::Stream;
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;

use crate::error::AppError;
use crate::events::{Change, PaperEvent};
use crate::graphql::types::{GlobalId, NodeKind};

use super::context::state;
use super::types::{Paper, PaperFilterInput, UpvoteEvent};

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
        let filter = filter.unwrap_or_default().decode("filter")?;
        let events = state(ctx)?.events.subscribe();
        Ok(selected(events, move |event: &Arc<PaperEvent>| {
            let Change::PaperAdded { .. } = event.change else {
                return None;
            };
            let author_ids: Vec<i64> = event.byline.iter().map(|author| author.id).collect();
            filter
                .matches(&event.paper, &author_ids, event.submitter.as_ref())
                .then(|| Paper::from_event(Arc::clone(&event.paper), Arc::clone(&event.loader)))
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
        let events = state(ctx)?.events.subscribe();
        Ok(selected(events, move |event: &Arc<PaperEvent>| {
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
}

/// The events `select` keeps, as a stream; a subscriber that fell behind is told how many
/// events it missed, then continues with the newest.
fn selected<E: Clone, T>(
    events: Receiver<E>,
    select: impl Fn(&E) -> Option<T> + Send + 'static,
) -> impl Stream<Item = async_graphql::Result<T>> {
    futures_util::stream::unfold((events, select), |(mut events, select)| async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Some(item) = select(&event) {
                        return Some((Ok(item), (events, select)));
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    let error = AppError::FellBehind { missed }.into();
                    return Some((Err(error), (events, select)));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;
    use tokio::sync::broadcast;

    use super::*;

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_told_then_catches_up() {
        let (sender, receiver) = broadcast::channel::<u32>(2);
        let mut stream = Box::pin(selected(receiver, |n: &u32| (n % 2 == 1).then_some(*n)));
        for n in 1..=5 {
            let _ = sender.send(n);
        }
        // Capacity 2: events 1-3 were dropped; the subscriber is told, then gets 5 (4 is even).
        let told = stream.next().await.and_then(Result::err);
        let code = told
            .and_then(|error| error.extensions)
            .and_then(|e| e.get("code").cloned());
        assert_eq!(code, Some(async_graphql::Value::from("RATE_LIMITED")));
        assert_eq!(stream.next().await.and_then(Result::ok), Some(5));
        drop(sender);
        assert!(
            stream.next().await.is_none(),
            "the stream ends with the bus"
        );
    }
}
