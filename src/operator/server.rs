//! `--listen`: `/healthz` (the process is alive), `/readyz` (a recent round finished without a
//! global error) and `/metrics` (Prometheus text format). Nothing else is served, and nothing
//! served names a case's contents.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::time::Instant;

use super::metrics::{CONTENT_TYPE, Metrics};

/// Whether the operator is ready: the last round finished without a global error, and
/// recently enough (two intervals) that it is still going round.
#[derive(Debug)]
pub struct Health {
    interval: Duration,
    last_round: Mutex<Option<LastRound>>,
}

#[derive(Debug, Clone)]
struct LastRound {
    finished: Instant,
    /// What stopped it from planning every case, if anything.
    global_error: Option<String>,
}

impl Health {
    pub fn new(interval: Duration) -> Health {
        Health {
            interval,
            last_round: Mutex::new(None),
        }
    }

    pub fn record(&self, finished: Instant, global_error: Option<String>) {
        *lock(&self.last_round) = Some(LastRound {
            finished,
            global_error,
        });
    }

    /// `Err` says why not ready.
    pub fn readiness(&self, now: Instant) -> Result<(), String> {
        let Some(last) = lock(&self.last_round).clone() else {
            return Err("no round has finished yet".into());
        };
        if let Some(error) = last.global_error {
            return Err(format!("the last round failed: {error}"));
        }
        let age = now.saturating_duration_since(last.finished);
        if age > self.interval * 2 {
            return Err(format!(
                "no round has finished for {}s, more than two intervals",
                age.as_secs()
            ));
        }
        Ok(())
    }
}

/// What the endpoints read.
pub struct Shared {
    pub health: Health,
    pub metrics: Mutex<Metrics>,
}

impl Shared {
    pub fn metrics(&self) -> std::sync::MutexGuard<'_, Metrics> {
        lock(&self.metrics)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(shared)
}

async fn readyz(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    match shared.health.readiness(Instant::now()) {
        Ok(()) => (StatusCode::OK, "ready\n".to_string()),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {reason}\n"),
        ),
    }
}

async fn metrics(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let text = shared.metrics().render();
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text)
}

/// Binds `address` and serves until `stopped` resolves; returns the address bound (the port
/// the system chose for port 0).
pub async fn serve(
    address: SocketAddr,
    shared: Arc<Shared>,
    stopped: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(address).await?;
    let bound = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router(shared))
            .with_graceful_shutdown(stopped)
            .await
        {
            tracing::error!(%error, "the health and metrics server stopped");
        }
    });
    Ok((bound, task))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn ready_only_after_a_good_round_and_while_rounds_keep_coming() {
        let interval = Duration::from_mins(1);
        let health = Health::new(interval);
        assert!(health.readiness(Instant::now()).is_err(), "no round yet");

        health.record(Instant::now(), None);
        assert_eq!(health.readiness(Instant::now()), Ok(()));

        tokio::time::advance(interval * 2).await;
        assert_eq!(health.readiness(Instant::now()), Ok(()), "two intervals");
        tokio::time::advance(Duration::from_secs(1)).await;
        let stale = health.readiness(Instant::now()).unwrap_err();
        assert!(stale.contains("more than two intervals"), "{stale}");

        health.record(Instant::now(), Some("cannot reach the endpoint".into()));
        let failed = health.readiness(Instant::now()).unwrap_err();
        assert!(failed.contains("cannot reach the endpoint"), "{failed}");

        health.record(Instant::now(), None);
        assert_eq!(health.readiness(Instant::now()), Ok(()));
    }
}
