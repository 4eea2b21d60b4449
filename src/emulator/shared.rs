//! The emulator's one shared value: the state behind a lock held only briefly, the writer queue
//! that orders changes and their writes to disk, the counters and the fault generator.

use std::io;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use crate::emulator::EmulatorConfig;
use crate::emulator::faults::FaultInjector;
use crate::emulator::files::Files;
use crate::emulator::operations::Reply;
use crate::emulator::persistence::StateFile;
use crate::emulator::rate_limit::Limiter;
use crate::emulator::service_error::ServiceError;
use crate::emulator::stats::{Stats, StatsSnapshot};
use crate::emulator::store::State;

#[derive(Debug)]
pub(crate) struct Shared {
    state: RwLock<State>,
    /// Held across a change and its write to disk, so the file always holds a prefix of the
    /// acknowledged changes in order, while readers only wait for the in-memory change.
    write_order: tokio::sync::Mutex<()>,
    state_file: Option<StateFile>,
    pub(crate) stats: Stats,
    pub(crate) faults: FaultInjector,
    pub(crate) latency: Duration,
    pub(crate) limiter: Limiter,
    /// The account of the cases this emulator serves (`--account`).
    pub(crate) account: String,
    /// `--not-active`: the account has no Security IR membership.
    pub(crate) not_active: bool,
    /// `--aws-responder-delay`: AWS acknowledges AWS-supported cases by itself after this.
    pub(crate) responder_delay: Option<Duration>,
    pub(crate) files: Files,
}

fn internal_error() -> ServiceError {
    ServiceError::InternalServer {
        message: "The emulator could not store the change; it was not made".to_string(),
        retry_after_seconds: Some(1),
    }
}

impl Shared {
    pub(crate) fn new(config: &EmulatorConfig) -> io::Result<Self> {
        let state_file = config.state_file.clone().map(StateFile::new);
        let state = match &state_file {
            Some(file) => file.load()?,
            None => State::default(),
        };
        Ok(Shared {
            state: RwLock::new(state),
            write_order: tokio::sync::Mutex::new(()),
            state_file,
            stats: Stats::default(),
            faults: FaultInjector::new(config.fault_rate, config.seed),
            latency: config.latency,
            limiter: Limiter::new(config.rate_limits.clone()),
            account: config.account.clone(),
            not_active: config.not_active,
            responder_delay: config.aws_responder_delay,
            files: Files::new(config.state_file.as_deref()),
        })
    }

    /// A poisoned lock only means a panic elsewhere; every change is made on a copy or in one
    /// step, so the state itself is still whole.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn stats_snapshot(&self) -> StatsSnapshot {
        let cases = self.read().cases.len();
        self.stats.snapshot(cases)
    }

    /// Makes a change and, when it changed anything, stores the state before returning: the
    /// caller answers only after this, so an acknowledged change is on disk.
    pub(crate) async fn change(
        &self,
        apply: impl FnOnce(&mut State) -> Result<Reply, ServiceError>,
    ) -> Result<Reply, ServiceError> {
        let _order = self.write_order.lock().await;
        let reply = apply(&mut self.write())?;
        if reply.changed {
            self.persist().await?;
        }
        Ok(reply)
    }

    async fn persist(&self) -> Result<(), ServiceError> {
        let Some(file) = &self.state_file else {
            return Ok(());
        };
        let document = serde_json::to_vec(&*self.read()).map_err(|_| internal_error())?;
        let writer = file.clone();
        let stored = tokio::task::spawn_blocking(move || writer.store(&document)).await;
        match stored {
            Ok(Ok(())) => Ok(()),
            failure => {
                tracing::error!(
                    ?failure,
                    "could not write the state file; undoing the change"
                );
                // The file still holds the last acknowledged state: go back to it.
                match file.load() {
                    Ok(previous) => *self.write() = previous,
                    Err(error) => tracing::error!(%error, "could not reread the state file"),
                }
                Err(internal_error())
            }
        }
    }

    /// `POST /_emulator/reset`: no cases, no counters.
    pub(crate) async fn reset(&self) -> io::Result<()> {
        let _order = self.write_order.lock().await;
        *self.write() = State::default();
        self.stats.clear();
        if let Some(file) = &self.state_file {
            let document = serde_json::to_vec(&State::default()).map_err(io::Error::other)?;
            let writer = file.clone();
            tokio::task::spawn_blocking(move || writer.store(&document))
                .await
                .map_err(io::Error::other)??;
        }
        Ok(())
    }
}
