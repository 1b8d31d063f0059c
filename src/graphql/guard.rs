//! A panic while an operation runs is a bug; it costs that operation an
//! `INTERNAL_SERVER_ERROR`, never the connection, the socket's other operations, or the
//! process. The panic's message is logged, never sent.

use std::any::Any;
use std::panic::AssertUnwindSafe;

use async_graphql::{ObjectType, Request, Response, Schema, SubscriptionType};
use futures_util::{FutureExt, Stream, StreamExt};

use crate::error::AppError;

/// Runs `request` on `schema`, turning a panic into an internal error.
pub async fn execute<Q, M, S>(schema: &Schema<Q, M, S>, request: Request) -> Response
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    // Unwind safety: after a panic the request's state is dropped unread; the schema and
    // application state are shared behind locks that recover from poisoning. Boxed: the
    // engine's future is large, and the handler's future should not carry it by value.
    AssertUnwindSafe(Box::pin(schema.execute(request)))
        .catch_unwind()
        .await
        .unwrap_or_else(panicked)
}

/// The results of `results`; a panic ends them with one internal error.
pub fn stream<T>(results: T) -> impl Stream<Item = Response> + Send
where
    T: Stream<Item = Response> + Send,
{
    AssertUnwindSafe(results)
        .catch_unwind()
        .scan(false, |failed, item| {
            if *failed {
                return std::future::ready(None);
            }
            let response = item.unwrap_or_else(|panic| {
                *failed = true;
                panicked(panic)
            });
            std::future::ready(Some(response))
        })
}

fn panicked(panic: Box<dyn Any + Send>) -> Response {
    let error = AppError::internal(format!("panic while resolving: {}", panic_message(&*panic)));
    Response::from_errors(vec![error.into_server_error()])
}

/// The message a panic was raised with, for the log.
pub fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, Object, Subscription};
    use futures_util::stream;

    use super::*;

    struct Query;

    #[Object]
    impl Query {
        async fn fine(&self) -> i32 {
            1
        }

        async fn broken(&self, healthy: Option<bool>) -> i32 {
            assert!(healthy.unwrap_or(false), "a bug in a resolver");
            1
        }
    }

    struct Subscriptions;

    #[Subscription]
    impl Subscriptions {
        async fn ticks(&self) -> impl Stream<Item = i32> {
            stream::iter([1, 2, 3]).map(|tick| {
                assert!(tick < 2, "a bug in a subscription");
                tick
            })
        }
    }

    fn schema() -> Schema<Query, EmptyMutation, Subscriptions> {
        Schema::new(Query, EmptyMutation, Subscriptions)
    }

    fn code(response: &Response) -> Option<String> {
        let extensions = response.errors.first()?.extensions.as_ref()?;
        match extensions.get("code")? {
            async_graphql::Value::String(code) => Some(code.clone()),
            _ => None,
        }
    }

    #[tokio::test]
    async fn a_panicking_resolver_fails_its_request_only() {
        let schema = schema();
        let broken = execute(&schema, Request::new("{ fine broken }")).await;
        assert_eq!(code(&broken).as_deref(), Some("INTERNAL_SERVER_ERROR"));
        assert!(
            !broken.errors[0].message.contains("a bug"),
            "the panic is not shown"
        );
        let fine = execute(&schema, Request::new("{ fine }")).await;
        assert!(fine.errors.is_empty(), "the schema still serves");
    }

    #[tokio::test]
    async fn a_panicking_subscription_ends_with_one_error() {
        let schema = schema();
        let results: Vec<Response> =
            stream(schema.execute_stream(Request::new("subscription { ticks }")))
                .collect()
                .await;
        assert_eq!(results.len(), 2, "one result, then the error");
        assert!(results[0].errors.is_empty());
        assert_eq!(code(&results[1]).as_deref(), Some("INTERNAL_SERVER_ERROR"));
    }
}
