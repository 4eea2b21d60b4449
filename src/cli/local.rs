//! `--local`: an emulator inside this process with its state in `.sirops/local-state.json`, so
//! a newcomer can plan and apply with no AWS account. Every change the emulator acknowledges is
//! already on disk, so the process may exit without shutting it down.

use std::path::PathBuf;

use anyhow::Context;

use crate::emulator::{Emulator, EmulatorConfig, RunningEmulator};

/// Where `--local` keeps its cases, relative to the working directory (ignored by git).
pub(crate) const LOCAL_STATE_FILE: &str = ".sirops/local-state.json";

pub(crate) struct LocalEmulator {
    running: RunningEmulator,
}

impl LocalEmulator {
    pub(crate) async fn start() -> anyhow::Result<LocalEmulator> {
        let state_file = PathBuf::from(LOCAL_STATE_FILE);
        if let Some(parent) = state_file.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("could not create {}", parent.display()))?;
        }
        let running = Emulator::start(EmulatorConfig {
            state_file: Some(state_file.clone()),
            ..EmulatorConfig::default()
        })
        .await
        .with_context(|| {
            format!(
                "could not start the local emulator with state {}",
                state_file.display()
            )
        })?;
        Ok(LocalEmulator { running })
    }

    pub(crate) fn endpoint_url(&self) -> String {
        self.running.endpoint_url()
    }

    /// The state file, absolute when the working directory can be read: a saved plan made
    /// with `--local` belongs to this state and no other.
    pub(crate) fn state_file(&self) -> PathBuf {
        let relative = PathBuf::from(LOCAL_STATE_FILE);
        std::env::current_dir()
            .map(|directory| directory.join(&relative))
            .unwrap_or(relative)
    }
}
