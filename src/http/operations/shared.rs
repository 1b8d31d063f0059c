//! Identical anonymous subscriptions run once per instance.
//!
//! An anonymous subscriber's results depend only on its operation (text, name, variables),
//! so every anonymous socket subscribing to the same operation shares one execution: the
//! first one starts it, each result is resolved and serialised once, and every socket just
//! writes the shared bytes. Signed-in subscribers (whose results may depend on who they are)
//! and queries run on their own. The execution stops when its last subscriber leaves.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::{Stream, StreamExt};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::AbortHandle;

use crate::error::AppError;

use super::{Emitted, errors_payload};

/// Results kept for a slow socket before it is told it fell behind.
const BUFFERED_RESULTS: usize = 64;

/// What identifies an operation's results.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OperationKey {
    pub query: String,
    pub operation_name: Option<String>,
    pub variables: String,
}

struct Execution {
    results: broadcast::Sender<Emitted>,
    task: AbortHandle,
}

/// The shared executions of one instance.
#[derive(Default)]
pub struct SharedOperations {
    executions: Mutex<HashMap<OperationKey, Execution>>,
}

impl SharedOperations {
    /// Joins the execution of `key`, starting it with `start` when there is none.
    pub fn join(
        self: &Arc<Self>,
        key: OperationKey,
        start: impl FnOnce() -> std::pin::Pin<Box<dyn Stream<Item = Emitted> + Send>>,
    ) -> impl Stream<Item = Emitted> + Send + 'static {
        let receiver = {
            let mut executions = self.lock();
            match executions.get(&key) {
                Some(execution) => execution.results.subscribe(),
                None => {
                    let (results, receiver) = broadcast::channel(BUFFERED_RESULTS);
                    let task =
                        tokio::spawn(run(start(), results.clone(), Arc::clone(self), key.clone()));
                    executions.insert(
                        key.clone(),
                        Execution {
                            results,
                            task: task.abort_handle(),
                        },
                    );
                    receiver
                }
            }
        };
        let membership = Membership {
            shared: Arc::clone(self),
            key,
        };
        futures_util::stream::unfold(
            (receiver, membership, false),
            |(mut receiver, membership, done)| async move {
                if done {
                    return None;
                }
                let emitted = match receiver.recv().await {
                    Ok(emitted) => emitted,
                    Err(RecvError::Lagged(missed)) => Emitted::Payload(error_payload(missed)),
                    Err(RecvError::Closed) => Emitted::Done,
                };
                let done = matches!(emitted, Emitted::Done | Emitted::Failed(_));
                Some((emitted, (receiver, membership, done)))
            },
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<OperationKey, Execution>> {
        self.executions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Stops the execution of `key` once nobody receives its results.
    fn release(&self, key: &OperationKey) {
        let mut executions = self.lock();
        if let Some(execution) = executions.get(key)
            && execution.results.receiver_count() == 0
        {
            execution.task.abort();
            executions.remove(key);
        }
    }
}

/// Released when a subscriber's stream is dropped.
struct Membership {
    shared: Arc<SharedOperations>,
    key: OperationKey,
}

impl Drop for Membership {
    fn drop(&mut self) {
        self.shared.release(&self.key);
    }
}

async fn run(
    mut results: std::pin::Pin<Box<dyn Stream<Item = Emitted> + Send>>,
    sender: broadcast::Sender<Emitted>,
    shared: Arc<SharedOperations>,
    key: OperationKey,
) {
    while let Some(emitted) = results.next().await {
        let last = matches!(emitted, Emitted::Done | Emitted::Failed(_));
        let _nobody_left = sender.send(emitted);
        if last {
            break;
        }
    }
    // Later subscribers of the same operation start a fresh execution.
    let mut executions = shared.lock();
    if executions
        .get(&key)
        .is_some_and(|execution| execution.results.same_channel(&sender))
    {
        executions.remove(&key);
    }
}

/// The result a subscriber gets in place of the `missed` results it was too slow for.
fn error_payload(missed: u64) -> Arc<str> {
    crate::telemetry::metrics::results_dropped(missed);
    errors_payload(AppError::FellBehind { missed }).into()
}
