//! The local Security IR emulator: a stand-in for the service that speaks its restJson1 wire
//! protocol, so the real `aws-sdk-securityir` client (and any other AWS client) works against it
//! unchanged. It enforces the service's rules as strictly as the model allows, keeps accounts,
//! regions and signers apart, plays AWS's own responders, applies per-operation quotas, can
//! persist every acknowledged change (`--state`), and can inject latency and reproducible
//! faults for the tests and benchmarks of everything else. `docs/emulator.md`
//! lists its endpoints and each reading it takes where the API is silent.
//!
//! Layout: `routes` (HTTP to operation: signature, membership, quota) -> `operations` (the
//! rules, one file per resource) -> `store` (the state), with `validation`, `status_edges` and
//! `pagination` as pure helpers, `shared` for locking and durability, `persistence` for the
//! file, `files` for the attachment file server, `rate_limit` for quotas, `faults` and `stats`
//! for tests, `server` for the connection loop.

mod faults;
mod files;
mod operations;
mod pagination;
mod persistence;
mod rate_limit;
mod routes;
mod server;
mod service_error;
mod shared;
mod stats;
mod status_edges;
mod store;
mod validation;
mod wire;

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use rate_limit::{RateLimitSpec, RateLimits};
pub use stats::StatsSnapshot;
/// The service's status rules, for test doubles that must not share the planner's.
#[cfg(test)]
pub(crate) use status_edges::is_legal_move as is_legal_status_move;
pub use store::DEFAULT_ACCOUNT_ID;

use shared::Shared;

/// How `sirops emulator` (and an in-process emulator) runs.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub listen: SocketAddr,
    pub state_file: Option<PathBuf>,
    pub latency: Duration,
    pub fault_rate: f64,
    pub seed: u64,
    /// The account of every case ARN.
    pub account: String,
    /// Per-operation request quotas; off by default.
    pub rate_limits: RateLimits,
    /// Every case operation answers SecurityIncidentResponseNotActiveException.
    pub not_active: bool,
    /// AWS responders acknowledge new AWS-supported cases by themselves after this long.
    pub aws_responder_delay: Option<Duration>,
}

impl Default for EmulatorConfig {
    /// Loopback on a free port, in memory, no latency, no faults, no quotas, an active
    /// membership in the default account.
    fn default() -> Self {
        EmulatorConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            state_file: None,
            latency: Duration::ZERO,
            fault_rate: 0.0,
            seed: 0,
            account: DEFAULT_ACCOUNT_ID.to_string(),
            rate_limits: RateLimits::default(),
            not_active: false,
            aws_responder_delay: None,
        }
    }
}

/// The emulator's HTTP application, without a listener. Injected connection drops need the
/// emulator's own connection loop (`Emulator::start`); served any other way they become a
/// response whose body fails.
pub fn router(config: &EmulatorConfig) -> io::Result<axum::Router> {
    Ok(routes::router(Arc::new(Shared::new(config)?)))
}

/// Starts emulators.
pub struct Emulator;

impl Emulator {
    /// Binds `config.listen` (port 0 picks a free port), loads the state file if any, and
    /// serves in the background until `RunningEmulator::shutdown`.
    pub async fn start(config: EmulatorConfig) -> io::Result<RunningEmulator> {
        let shared = Arc::new(Shared::new(&config)?);
        let listener = TcpListener::bind(config.listen).await?;
        let address = listener.local_addr()?;
        // Attachments go to a port of their own, on the same interface.
        let file_listener = TcpListener::bind(SocketAddr::new(address.ip(), 0)).await?;
        shared
            .files
            .listening_at(format!("http://{}", file_listener.local_addr()?));
        let (shutdown_sender, shutdown) = watch::channel(false);
        let stopped = |mut receiver: watch::Receiver<bool>| async move {
            let _ = receiver.wait_for(|stop| *stop).await;
        };
        let api = server::serve(
            listener,
            routes::router(Arc::clone(&shared)),
            stopped(shutdown.clone()),
        );
        let files = server::serve(
            file_listener,
            files::router(Arc::clone(&shared)),
            stopped(shutdown.clone()),
        );
        let responder = respond_by_itself(Arc::clone(&shared), stopped(shutdown));
        let server = tokio::spawn(async move {
            tokio::join!(api, files, responder);
        });
        Ok(RunningEmulator {
            address,
            shared,
            shutdown_sender: Some(shutdown_sender),
            server,
        })
    }
}

/// With `--aws-responder-delay`, AWS acknowledges new AWS-supported cases by itself: checked a
/// few times a second, so a case is acknowledged within a fraction of a second of its time.
async fn respond_by_itself(shared: Arc<Shared>, stopped: impl std::future::Future<Output = ()>) {
    let Some(delay) = shared.responder_delay else {
        return;
    };
    tokio::pin!(stopped);
    let mut ticks = tokio::time::interval(Duration::from_millis(100));
    loop {
        tokio::select! {
            () = &mut stopped => return,
            _ = ticks.tick() => {
                let now = routes::now_epoch_seconds();
                let acknowledged = shared
                    .change(|state| {
                        let changed = operations::responder::acknowledge_due(
                            state,
                            delay.as_secs_f64(),
                            now,
                        );
                        Ok(operations::Reply::empty(axum::http::StatusCode::OK).changed(changed))
                    })
                    .await;
                if let Err(error) = acknowledged {
                    tracing::error!(%error, "AWS responders could not acknowledge cases");
                }
            }
        }
    }
}

/// An emulator serving in the background of the current tokio runtime.
pub struct RunningEmulator {
    address: SocketAddr,
    shared: Arc<Shared>,
    shutdown_sender: Option<watch::Sender<bool>>,
    server: JoinHandle<()>,
}

impl RunningEmulator {
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://HOST:PORT`, for the SDK's `endpoint_url`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The same counts as `GET /_emulator/stats`.
    pub fn stats(&self) -> StatsSnapshot {
        self.shared.stats_snapshot()
    }

    /// The same as `POST /_emulator/reset`: no cases, no counters.
    pub async fn reset(&self) -> io::Result<()> {
        self.shared.reset().await
    }

    /// Stops accepting, lets requests in flight finish (a few seconds at most), and returns
    /// when the server has stopped.
    pub async fn shutdown(mut self) {
        if let Some(sender) = self.shutdown_sender.take() {
            let _ = sender.send(true);
        }
        let _ = (&mut self.server).await;
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        // Dropped without `shutdown`: stop serving rather than leak a server into the runtime.
        if self.shutdown_sender.is_some() {
            self.server.abort();
        }
    }
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Serves until Ctrl-C (or SIGTERM). The first line on stdout is `listening on http://HOST:PORT`.
pub async fn run(config: EmulatorConfig) -> io::Result<()> {
    let emulator = Emulator::start(config).await?;
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "listening on {}", emulator.endpoint_url())?;
    stdout.flush()?;
    drop(stdout);
    stop_signal().await;
    emulator.shutdown().await;
    Ok(())
}
