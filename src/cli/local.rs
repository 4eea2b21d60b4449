//! `--local`: an emulator inside this process with its state in `.sirops/local-state.json`, so
//! a newcomer can plan and apply with no AWS account.

use std::path::PathBuf;

use anyhow::Context;

/// Where `--local` keeps its cases, relative to the working directory (ignored by git).
pub(crate) const LOCAL_STATE_FILE: &str = ".sirops/local-state.json";

pub(crate) struct LocalEmulator {
    endpoint_url: String,
}

impl LocalEmulator {
    pub(crate) async fn start() -> anyhow::Result<LocalEmulator> {
        let state_file = PathBuf::from(LOCAL_STATE_FILE);
        if let Some(parent) = state_file.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("could not create {}", parent.display()))?;
        }
        let _ = state_file;
        anyhow::bail!("the local emulator is not available yet")
    }

    pub(crate) fn endpoint_url(&self) -> String {
        self.endpoint_url.clone()
    }
}
