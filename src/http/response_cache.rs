//! Finished answers to anonymous reads of the hot lists and lookups, shared by every
//! anonymous caller of this instance until something they show may have changed.
//!
//! An answer is stored with the event bus's version read *before* it was computed, and
//! served only while the version has not moved: every published change moves it — at once
//! on the instance that wrote, on the others when the change is heard — and so does a lost
//! `LISTEN` connection, during which nothing is served from here. An answer computed from a
//! read that raced a change is therefore either stored under the version the change
//! retires, or not stored at all. An answer lives as long as its [`Lifetime`] allows:
//! what moves without an event (the clock in `trendingPapers`' window, ranking history
//! pruned after an hour, a ban's end) is bounded by a second; an answer that shows only
//! what writers publish lasts until a change is heard, bounded by a minute for rows
//! changed outside Paperboard. Only answers without errors are kept: a failure is never
//! repeated from here.
//!
//! Identical reads that miss together are computed once: the first leads, the others wait
//! for its answer ([`ResponseCache::take_turn`]). A change retires every answer at once,
//! and without this every reader in flight would compute the same page again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::OwnedMutexGuard;

use super::caching::Finished;

/// How long an answer may be served while no change is heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// It shows something that moves with the clock, or without an event.
    Clock,
    /// Everything it shows changes only through published changes.
    UntilChanged,
}

impl Lifetime {
    fn max_age(self) -> Duration {
        match self {
            Self::Clock => Duration::from_secs(1),
            Self::UntilChanged => Duration::from_secs(60),
        }
    }
}

/// What makes two requests the same read: the document, the operation and the variables.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReadKey(String);

impl ReadKey {
    /// The key of an operation; `None` when the request carries extensions, whose meaning
    /// this cache cannot know.
    pub fn of(request: &async_graphql::Request) -> Option<Self> {
        if !request.extensions.is_empty() {
            return None;
        }
        let variables = serde_json::to_string(&request.variables).ok()?;
        let operation = request.operation_name.as_deref().unwrap_or_default();
        let mut key =
            String::with_capacity(request.query.len() + operation.len() + variables.len() + 2);
        // Neither an operation name nor JSON holds a NUL: the parts cannot run together.
        key.push_str(operation);
        key.push('\0');
        key.push_str(&variables);
        key.push('\0');
        key.push_str(&request.query);
        Some(Self(key))
    }
}

impl ReadKey {
    /// The key of the answer every viewer's answer to this read is made from (see
    /// `graphql::overlay`): apart from the anonymous one, whose document differs.
    #[must_use]
    pub fn for_every_viewer(self) -> Self {
        Self(format!("viewers\0{}", self.0))
    }
}

/// A stored answer.
struct Answer {
    /// The bus version it was read at.
    version: u64,
    /// Until when it may be served at that version.
    expires_at: Instant,
    finished: Finished,
}

/// Weighs an entry by its bytes, so that the capacity is a memory budget.
#[derive(Clone)]
struct ByBytes;

impl quick_cache::Weighter<ReadKey, Arc<Answer>> for ByBytes {
    fn weight(&self, key: &ReadKey, answer: &Arc<Answer>) -> u64 {
        // A kept value takes about twice its JSON.
        let kept = answer
            .finished
            .kept
            .as_ref()
            .map_or(0, |_| 2 * answer.finished.body.len());
        let bytes = key.0.len() + answer.finished.body.len() + kept + std::mem::size_of::<Answer>();
        u64::try_from(bytes).unwrap_or(u64::MAX)
    }
}

/// A typical answer, to size the cache's table.
const TYPICAL_ENTRY_BYTES: u64 = 16 * 1024;

/// The reads being computed, each held by its leader.
type Flights = Mutex<HashMap<ReadKey, Arc<tokio::sync::Mutex<()>>>>;

/// The instance's shared answers; off when its budget is 0.
pub struct ResponseCache {
    answers: Option<quick_cache::sync::Cache<ReadKey, Arc<Answer>, ByBytes>>,
    flights: Arc<Flights>,
}

/// The lead of a read's computation, until dropped (answer stored, or given up).
pub struct Lead {
    flights: Arc<Flights>,
    key: ReadKey,
    flight: Arc<tokio::sync::Mutex<()>>,
    _held: OwnedMutexGuard<()>,
}

impl Drop for Lead {
    fn drop(&mut self) {
        let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
        if flights
            .get(&self.key)
            .is_some_and(|flight| Arc::ptr_eq(flight, &self.flight))
        {
            flights.remove(&self.key);
        }
    }
}

impl ResponseCache {
    /// A cache holding at most `budget_bytes` of keys and answers.
    pub fn new(budget_bytes: u64) -> Self {
        let answers = (budget_bytes > 0).then(|| {
            let items = usize::try_from(budget_bytes / TYPICAL_ENTRY_BYTES)
                .unwrap_or(usize::MAX)
                .max(16);
            quick_cache::sync::Cache::with_weighter(items, budget_bytes, ByBytes)
        });
        Self {
            answers,
            flights: Arc::default(),
        }
    }

    /// The lead of `key`'s computation; or, when another request leads it, `None` once
    /// that one is done (its answer is then stored, unless it failed or a change came).
    pub async fn take_turn(&self, key: &ReadKey) -> Option<Lead> {
        let leader = {
            let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
            match flights.get(key) {
                Some(flight) => Arc::clone(flight),
                None => {
                    let flight = Arc::new(tokio::sync::Mutex::new(()));
                    let held = Arc::clone(&flight).try_lock_owned().ok()?;
                    flights.insert(key.clone(), Arc::clone(&flight));
                    return Some(Lead {
                        flights: Arc::clone(&self.flights),
                        key: key.clone(),
                        flight,
                        _held: held,
                    });
                }
            }
        };
        drop(leader.lock().await);
        None
    }

    /// The answer stored for `key`, if it was read at `version` and its lifetime has not
    /// run out.
    pub fn get(&self, key: &ReadKey, version: u64) -> Option<Finished> {
        let answer = self.answers.as_ref()?.get(key)?;
        (answer.version == version && Instant::now() < answer.expires_at)
            .then(|| answer.finished.clone())
    }

    /// Stores `finished`, read at `version`, for `lifetime`, unless the version moved on
    /// meanwhile (`current`).
    pub fn put(
        &self,
        key: ReadKey,
        (version, current): (u64, Option<u64>),
        lifetime: Lifetime,
        finished: Finished,
    ) {
        if current != Some(version) {
            return;
        }
        if let Some(answers) = &self.answers {
            let answer = Answer {
                version,
                expires_at: Instant::now() + lifetime.max_age(),
                finished,
            };
            answers.insert(key, Arc::new(answer));
        }
    }

    /// Whether answers are kept at all.
    pub fn is_enabled(&self) -> bool {
        self.answers.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use axum::body::Bytes;

    fn answer() -> Finished {
        Finished::new(
            Bytes::from_static(b"{}"),
            async_graphql::CacheControl::default(),
        )
    }

    fn key(query: &str) -> Option<ReadKey> {
        ReadKey::of(&async_graphql::Request::new(query))
    }

    #[test]
    fn an_answer_is_served_only_at_the_version_it_was_read_at() {
        let cache = ResponseCache::new(1 << 20);
        let Some(read) = key("{ papers { totalCount } }") else {
            panic!("a plain request has a key");
        };
        cache.put(read.clone(), (7, Some(7)), Lifetime::Clock, answer());
        assert_eq!(cache.get(&read, 7), Some(answer()));
        assert_eq!(cache.get(&read, 8), None);
    }

    #[test]
    fn an_answer_lasts_its_lifetime() {
        let cache = ResponseCache::new(1 << 20);
        let (Some(clock), Some(published)) = (
            key("{ trendingPapers { totalCount } }"),
            key("{ paper(id: \"UGFwZXI6MQ\") { title } }"),
        ) else {
            panic!("a plain request has a key");
        };
        cache.put(clock.clone(), (7, Some(7)), Lifetime::Clock, answer());
        cache.put(
            published.clone(),
            (7, Some(7)),
            Lifetime::UntilChanged,
            answer(),
        );
        std::thread::sleep(Duration::from_millis(1_050));
        assert_eq!(cache.get(&clock, 7), None);
        assert_eq!(cache.get(&published, 7), Some(answer()));
        assert_eq!(cache.get(&published, 8), None);
    }

    #[test]
    fn an_answer_read_before_a_change_is_not_stored() {
        let cache = ResponseCache::new(1 << 20);
        let Some(read) = key("{ papers { totalCount } }") else {
            panic!("a plain request has a key");
        };
        cache.put(read.clone(), (7, Some(8)), Lifetime::Clock, answer());
        assert_eq!(cache.get(&read, 7), None);
        assert_eq!(cache.get(&read, 8), None);
        cache.put(read.clone(), (7, None), Lifetime::Clock, answer());
        assert_eq!(cache.get(&read, 7), None);
    }

    #[test]
    fn variables_operation_and_extensions_make_different_reads() {
        let query = "query A($n: Int) { papers(first: $n) { totalCount } } query B { __typename }";
        let plain = async_graphql::Request::new(query).operation_name("A");
        let with_first = async_graphql::Request::new(query)
            .operation_name("A")
            .variables(async_graphql::Variables::from_json(
                serde_json::json!({"n": 1}),
            ));
        let other = async_graphql::Request::new(query).operation_name("B");
        let keys = [&plain, &with_first, &other].map(ReadKey::of);
        assert!(keys.iter().all(Option::is_some));
        assert_ne!(keys[0], keys[1]);
        assert_ne!(keys[0], keys[2]);
        let mut extended = async_graphql::Request::new(query);
        extended
            .extensions
            .insert("persistedQuery".to_owned(), async_graphql::Value::Null);
        assert_eq!(ReadKey::of(&extended), None);
    }

    #[tokio::test]
    async fn a_read_computed_by_another_request_is_waited_for() {
        let cache = Arc::new(ResponseCache::new(1 << 20));
        let Some(read) = key("{ papers { totalCount } }") else {
            panic!("a plain request has a key");
        };
        let Some(lead) = cache.take_turn(&read).await else {
            panic!("the first request leads");
        };
        let follower = tokio::spawn({
            let cache = Arc::clone(&cache);
            let read = read.clone();
            async move {
                let led = cache.take_turn(&read).await.is_some();
                (led, cache.get(&read, 3))
            }
        });
        tokio::task::yield_now().await;
        assert!(!follower.is_finished(), "the follower waits for the leader");
        cache.put(read.clone(), (3, Some(3)), Lifetime::Clock, answer());
        drop(lead);
        let (led, found) = follower.await.unwrap_or((true, None));
        assert!(!led);
        assert_eq!(found, Some(answer()));
        assert!(
            cache.take_turn(&read).await.is_some(),
            "the next miss leads again"
        );
    }

    #[test]
    fn a_zero_budget_keeps_nothing() {
        let cache = ResponseCache::new(0);
        let Some(read) = key("{ papers { totalCount } }") else {
            panic!("a plain request has a key");
        };
        cache.put(read.clone(), (1, Some(1)), Lifetime::Clock, answer());
        assert!(!cache.is_enabled());
        assert_eq!(cache.get(&read, 1), None);
    }
}
