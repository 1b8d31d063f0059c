//! Building and running the application: database, migrations, demo data, schema, router,
//! and a bound listener. Tests boot exactly this.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use sea_orm::{DbBackend, DbErr};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::auth::{Auth, AuthSetupError};
use crate::clock;
use crate::config::{Config, ConnectionLimits, EcosystemConfig};
use crate::db::{Database, DatabaseError};
use crate::error::AppError;
use crate::events::{EventBus, HubInput, run_hub};
use crate::graphql::live::{self, LiveEvents};
use crate::graphql::preflight::schema_index::IndexError;
use crate::graphql::{build_schema, preflight};
use crate::http::{
    ConnectionRules, GuardedListener, InvalidOrigin, PeerAddr, Sockets, metrics_router, router,
};
use crate::ingest::arxiv_api::{ArxivApi, ArxivApiError};
use crate::ingest::schedule;
use crate::ingest::{DEMO_PAPERS_JSON, ImportError, parse_demo_json};
use crate::mail::{MailSetupError, Mailer};
use crate::persisted_queries::{ManifestError, PersistedQueries, load_manifest};
use crate::rate_limit::{FLUSH_PERIOD, Limits};
use crate::services::{catalog, rankings};
use crate::state::AppState;

/// How long start-up waits for the event listener before serving anyway.
const LISTEN_WAIT: Duration = Duration::from_secs(5);
/// How long shutdown waits for WebSockets to close.
const SOCKET_DRAIN: Duration = Duration::from_secs(5);

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open the database")]
    Database(#[from] DatabaseError),
    #[error("cannot migrate the database")]
    Migrate(#[source] DbErr),
    #[error("cannot load the demo data")]
    Demo(#[source] AppError),
    #[error("the bundled demo data is invalid")]
    DemoFile(#[source] ImportError),
    #[error("cannot listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Cors(#[from] InvalidOrigin),
    #[error("cannot set up authentication")]
    Auth(#[from] AuthSetupError),
    #[error("cannot prepare the GraphQL checks")]
    Schema(#[from] IndexError),
    #[error("cannot set up the arXiv client")]
    Arxiv(#[from] ArxivApiError),
    #[error("cannot set up mail")]
    Mail(#[from] MailSetupError),
    #[error(transparent)]
    TrustedDocuments(#[from] ManifestError),
    #[error("cannot set up metrics")]
    Metrics(#[from] metrics_exporter_prometheus::BuildError),
}

/// A built application, bound to its port and ready to serve.
pub struct Application {
    listener: TcpListener,
    local_addr: SocketAddr,
    /// The metrics listener and its routes, when configured.
    metrics: Option<(TcpListener, Router)>,
    metrics_addr: Option<SocketAddr>,
    router: Router,
    state: AppState,
    sockets: Arc<Sockets>,
    hub: HubInput,
    live: Arc<LiveEvents>,
}

impl Application {
    /// Connects and migrates the database, loads the demo data when asked, and binds the
    /// listener (port 0 picks a free port).
    ///
    /// # Errors
    /// Any step of start-up fails.
    pub async fn build(mut config: Config) -> Result<Self, StartupError> {
        let db = Database::connect(&config.database).await?;
        db.migrate().await.map_err(StartupError::Migrate)?;
        let (events, hub) = EventBus::new(&db);
        if config.demo {
            load_demo(&db, &events).await?;
        }
        let auth = Auth::new(&config.auth, &config.database.data_dir)?;
        let bind = config.bind;
        let listener = listen(bind).map_err(|source| StartupError::Bind { addr: bind, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| StartupError::Bind { addr: bind, source })?;
        if config.platform.public_url.is_none() {
            config.platform.public_url = url::Url::parse(&format!("http://{local_addr}")).ok();
        }
        let arxiv = ArxivApi::new(&config.sources)?;
        let mailer = Mailer::new(&config.platform, &config.database.data_dir)?;
        let persisted = persisted_queries(&db, &config.ecosystem)?;
        let state = AppState::new(db, config, auth, events, arxiv, mailer, persisted);
        let live = LiveEvents::new();
        let schema = build_schema(state.clone(), &state.config.limits, Arc::clone(&live));
        let preflight = preflight(&state.config.limits).await?;
        let sockets = Sockets::new(state.config.sockets.max_sockets_per_user);
        let metrics = match state.config.ecosystem.metrics_bind {
            Some(addr) => {
                let handle = crate::telemetry::metrics::install()?;
                let listener =
                    listen(addr).map_err(|source| StartupError::Bind { addr, source })?;
                Some((listener, metrics_router(handle, state.db.clone())))
            }
            None => None,
        };
        let metrics_addr = match &metrics {
            Some((listener, _)) => {
                Some(listener.local_addr().map_err(|source| StartupError::Bind {
                    addr: local_addr,
                    source,
                })?)
            }
            None => None,
        };
        let router = router(state.clone(), schema, preflight, Arc::clone(&sockets))?;
        Ok(Self {
            listener,
            local_addr,
            metrics,
            metrics_addr,
            router,
            state,
            sockets,
            hub,
            live,
        })
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The address of the metrics listener, when one is configured.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    /// The shared state (tests read the statement counter through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then drains in-flight requests and closes the
    /// database pools.
    ///
    /// # Errors
    /// The server fails to accept connections.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Self {
            listener,
            router,
            state,
            sockets,
            hub,
            live,
            metrics,
            ..
        } = self;
        let (stop, stopping) = watch::channel(false);
        let metrics = metrics.map(|(listener, router)| {
            let mut stopping = stopping.clone();
            tokio::spawn(async move {
                let stopped = async move {
                    let _ = stopping.changed().await;
                };
                if let Err(error) = axum::serve(listener, router)
                    .with_graceful_shutdown(stopped)
                    .await
                {
                    tracing::warn!(%error, "the metrics listener stopped");
                }
            })
        });
        let events = Arc::clone(&state.events);
        let hub = tokio::spawn(async move { run_hub(&events, hub).await });
        let loader = tokio::spawn(live::run(live, state.clone()));
        // Subscribers of a fresh instance should hear every change from their first
        // request on; a database that is slow to answer does not hold the start up long.
        if !state.events.wait_listening(LISTEN_WAIT).await {
            tracing::warn!("serving before the event listener is connected");
        }
        let refresher = tokio::spawn(refresh_rankings(
            state.db.clone(),
            Arc::clone(&state.events),
            Duration::from_millis(state.config.activity.ranking_refresh_millis.max(10)),
            stopping.clone(),
        ));
        let watcher = tokio::spawn(watch_database(state.db.clone(), stopping.clone()));
        let syncs = tokio::spawn(schedule::run(state.clone(), stopping.clone()));
        let flusher = tokio::spawn(share_spending(Arc::clone(&state.limits), stopping.clone()));
        let pruner = tokio::spawn(prune_stores(state.clone(), stopping));
        let open_sockets = Arc::clone(&sockets);
        // axum drains HTTP requests but not upgraded sockets: tell those to close (1001).
        let signal = async move {
            shutdown.await;
            open_sockets.close_all();
            let _ = stop.send(true);
        };
        let rules = connection_rules(&state.config.connections);
        tracing::info!(
            max_connections = rules.max_connections,
            "accepting connections"
        );
        axum::serve(
            GuardedListener::new(listener, rules),
            router.into_make_service_with_connect_info::<PeerAddr>(),
        )
        .with_graceful_shutdown(signal)
        .await?;
        refresher.abort();
        watcher.abort();
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        pruner.abort();
        flusher.abort();
        syncs.abort();
        hub.abort();
        loader.abort();
        let left = sockets.wait_closed(SOCKET_DRAIN).await;
        if left > 0 {
            tracing::warn!(sockets = left, "sockets still open after the drain period");
        }
        state.db.close().await;
        Ok(())
    }
}

/// Loads the bundled demo papers into an empty catalogue.
async fn load_demo(db: &Database, events: &EventBus) -> Result<(), StartupError> {
    if !catalog::is_empty(db).await.map_err(StartupError::Demo)? {
        return Ok(());
    }
    let papers = parse_demo_json(DEMO_PAPERS_JSON, clock::now().date_naive())
        .map_err(StartupError::DemoFile)?;
    let outcome = catalog::import(db, events, papers, |_| {})
        .await
        .map_err(StartupError::Demo)?;
    tracing::info!(papers = outcome.inserted.len(), "loaded the demo papers");
    Ok(())
}

/// How often the ranking history is pruned.
const HISTORY_PRUNE_PERIOD: Duration = Duration::from_secs(60);

/// Refreshes upvote rankings every `period`, and prunes their history every
/// [`HISTORY_PRUNE_PERIOD`], until the server shuts down.
async fn refresh_rankings(
    db: Database,
    events: Arc<EventBus>,
    period: Duration,
    mut stopping: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    // A refresh that overran its period is not made up for with a burst.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut prunes = tokio::time::interval_at(
        tokio::time::Instant::now() + HISTORY_PRUNE_PERIOD,
        HISTORY_PRUNE_PERIOD,
    );
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                if db.is_down() {
                    continue;
                }
                match rankings::refresh(&db, &events).await {
                    Ok(Some(generation)) => tracing::debug!(generation, "rankings refreshed"),
                    Ok(None) => {}
                    Err(error) => tracing::warn!(error = ?error, "ranking refresh failed; retrying next period"),
                }
            }
            _ = prunes.tick() => match rankings::prune_history(&db).await {
                Ok(rows) => tracing::debug!(rows, "ranking history pruned"),
                Err(error) => tracing::warn!(error = ?error, "pruning the ranking history failed"),
            },
            _ = stopping.changed() => return,
        }
    }
}

/// How often the database is probed while it answers, and while it does not.
const PROBE_PERIOD_UP: Duration = Duration::from_secs(1);
const PROBE_PERIOD_DOWN: Duration = Duration::from_millis(250);

/// Probes a PostgreSQL database until shutdown, so that an outage is known (and requests
/// fail fast) within about a second, and its end is noticed within a quarter of one,
/// whether or not requests arrive. A SQLite file cannot go away: nothing to watch.
async fn watch_database(db: Database, mut stopping: watch::Receiver<bool>) {
    if db.backend() != DbBackend::Postgres {
        return;
    }
    loop {
        let period = if db.is_down() {
            PROBE_PERIOD_DOWN
        } else {
            PROBE_PERIOD_UP
        };
        tokio::select! {
            () = tokio::time::sleep(period) => {
                db.probe().await;
            }
            _ = stopping.changed() => return,
        }
    }
}

/// How often the stores that grow with use are pruned.
const PRUNE_PERIOD: Duration = Duration::from_secs(600);

/// Every [`PRUNE_PERIOD`] until shutdown, deletes idle shared rate-limit rows and the
/// persisted queries beyond their bound.
async fn prune_stores(state: AppState, mut stopping: watch::Receiver<bool>) {
    let start = tokio::time::Instant::now() + PRUNE_PERIOD;
    let mut ticks = tokio::time::interval_at(start, PRUNE_PERIOD);
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                match state.limits.prune().await {
                    Ok(rows) => tracing::debug!(rows, "idle rate-limit rows pruned"),
                    Err(error) => tracing::warn!(error = ?error, "pruning rate-limit rows failed"),
                }
                match state.persisted.prune().await {
                    Ok(rows) => tracing::debug!(rows, "least used persisted queries pruned"),
                    Err(error) => tracing::warn!(error = ?error, "pruning persisted queries failed"),
                }
            }
            _ = stopping.changed() => return,
        }
    }
}

/// Shares this instance's spending of cost budgets every [`FLUSH_PERIOD`] (PostgreSQL).
async fn share_spending(limits: Arc<Limits>, mut stopping: watch::Receiver<bool>) {
    if !limits.cost.is_enabled() {
        return;
    }
    let mut ticks = tokio::time::interval(FLUSH_PERIOD);
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                if let Err(error) = limits.cost.flush().await {
                    tracing::warn!(error = ?error, "sharing budget spending failed");
                }
            }
            _ = stopping.changed() => return,
        }
    }
}

/// Trusted documents when a manifest is configured, else automatic persisted queries.
fn persisted_queries(
    db: &Database,
    config: &EcosystemConfig,
) -> Result<PersistedQueries, ManifestError> {
    match &config.trusted_documents {
        Some(path) => {
            let documents = load_manifest(path)?;
            tracing::info!(
                documents = documents.len(),
                "serving trusted documents only"
            );
            Ok(PersistedQueries::Trusted(documents))
        }
        None => Ok(PersistedQueries::automatic(
            db,
            config.persisted_queries_max,
        )),
    }
}

/// Open files kept free of connections, for the database, logs and the data directory.
const RESERVED_FILES: usize = 256;

/// The connection rules configured; the cap defaults to what the open-file limit allows.
fn connection_rules(limits: &ConnectionLimits) -> ConnectionRules {
    ConnectionRules {
        header_timeout: Duration::from_secs(limits.header_timeout_seconds.max(1)),
        idle_timeout: Duration::from_secs(limits.idle_timeout_seconds.max(1)),
        max_connections: limits.max_connections.unwrap_or_else(|| {
            open_file_limit()
                .map_or(10_000, |limit| limit.saturating_sub(RESERVED_FILES))
                .max(64)
        }),
    }
}

/// The process's soft limit on open files, from `/proc/self/limits` (Linux).
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Pending connections the kernel queues before `accept`: room for a burst of thousands
/// of subscribers reconnecting at once (tokio's default is 1,024).
const LISTEN_BACKLOG: u32 = 4096;

fn listen(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}
