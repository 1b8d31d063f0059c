//! A queue of writes that one task performs a group at a time: whatever waits when the
//! task is free becomes one group (up to [`MAX_GROUP`]), written together, and each caller
//! is answered with its own result once the group is done. Used where a round trip or a
//! commit costs more than the write it carries.

use std::future::Future;

use sea_orm::DbErr;
use tokio::sync::{mpsc, oneshot};

use crate::db::Database;

/// Writes in one group at most: enough to amortise the commit, few enough that the first
/// in a group does not wait long for the last.
pub const MAX_GROUP: usize = 64;
/// Writes waiting for the task before callers wait to queue.
const QUEUED_WRITES: usize = 1_024;

struct Queued<W, A> {
    write: W,
    answer: oneshot::Sender<Result<A, DbErr>>,
}

/// The sending side; the task ends when the queue is dropped.
pub struct GroupQueue<W, A> {
    queue: mpsc::Sender<Queued<W, A>>,
}

impl<W: Send + 'static, A: Send + 'static> GroupQueue<W, A> {
    /// Starts the task that hands each group to `write_group`, which answers every write of
    /// the group, in order.
    pub fn start<G, F>(db: &Database, write_group: G) -> Self
    where
        G: Fn(Database, Vec<W>) -> F + Send + 'static,
        F: Future<Output = Vec<Result<A, DbErr>>> + Send + 'static,
    {
        let (queue, waiting) = mpsc::channel(QUEUED_WRITES);
        tokio::spawn(write_groups(db.clone(), waiting, write_group));
        Self { queue }
    }

    /// Queues `write` and returns its answer once its group is written.
    ///
    /// # Errors
    /// The write's own error, or an error when the task has stopped.
    pub async fn submit(&self, write: W) -> Result<A, DbErr> {
        let (answer, answered) = oneshot::channel();
        self.queue
            .send(Queued { write, answer })
            .await
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

fn stopped() -> DbErr {
    DbErr::Custom("the group writer has stopped".to_owned())
}

async fn write_groups<W, A, G, F>(
    db: Database,
    mut waiting: mpsc::Receiver<Queued<W, A>>,
    write_group: G,
) where
    G: Fn(Database, Vec<W>) -> F,
    F: Future<Output = Vec<Result<A, DbErr>>>,
{
    let mut group = Vec::with_capacity(MAX_GROUP);
    while waiting.recv_many(&mut group, MAX_GROUP).await > 0 {
        let (writes, answers): (Vec<W>, Vec<_>) = group
            .drain(..)
            .map(|queued| (queued.write, queued.answer))
            .unzip();
        let results = write_group(db.clone(), writes).await;
        for (answer, result) in answers.into_iter().zip(results) {
            // A caller that went away no longer needs its answer; its write is done.
            let _gone = answer.send(result);
        }
    }
}
