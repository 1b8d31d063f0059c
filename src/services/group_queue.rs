//! A queue of writes performed a group at a time in a fixed number of lanes: whatever waits
//! when a lane is free becomes one group (up to [`MAX_GROUP`]), written together, and each
//! caller is answered with its own result once the group is done. Used where a round trip
//! or a commit costs more than the write it carries. With one lane, groups are written one
//! after the other, in the order they were queued.

use std::future::Future;
use std::sync::Arc;

use sea_orm::DbErr;
use tokio::sync::{Semaphore, mpsc, oneshot};

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
    /// the group, in order; at most `lanes` groups are written at once.
    pub fn start<G, F>(db: &Database, lanes: usize, write_group: G) -> Self
    where
        G: Fn(Database, Vec<W>) -> F + Send + 'static,
        F: Future<Output = Vec<Result<A, DbErr>>> + Send + 'static,
    {
        let (queue, waiting) = mpsc::channel(QUEUED_WRITES);
        tokio::spawn(write_groups(db.clone(), waiting, lanes.max(1), write_group));
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
    lanes: usize,
    write_group: G,
) where
    W: Send + 'static,
    A: Send + 'static,
    G: Fn(Database, Vec<W>) -> F,
    F: Future<Output = Vec<Result<A, DbErr>>> + Send + 'static,
{
    let lanes = Arc::new(Semaphore::new(lanes));
    let mut group = Vec::with_capacity(MAX_GROUP);
    // A group is taken only once a lane is free, so writes gather while every lane is busy.
    while let Ok(lane) = Arc::clone(&lanes).acquire_owned().await {
        if waiting.recv_many(&mut group, MAX_GROUP).await == 0 {
            break;
        }
        let (writes, answers): (Vec<W>, Vec<_>) = group
            .drain(..)
            .map(|queued| (queued.write, queued.answer))
            .unzip();
        let written = write_group(db.clone(), writes);
        tokio::spawn(async move {
            let results = written.await;
            for (answer, result) in answers.into_iter().zip(results) {
                // A caller that went away no longer needs its answer; its write is done.
                let _gone = answer.send(result);
            }
            drop(lane);
        });
    }
}
