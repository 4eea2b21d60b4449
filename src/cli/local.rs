//! `--local`: an emulator inside this process with its state in `.sirops/local-state.json`, so
//! a newcomer can plan and apply with no AWS account. Every change the emulator acknowledges is
//! already on disk, so the process may exit without shutting it down.

use std::path::{Path, PathBuf};

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
            create_private_directory(parent)
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
    #[allow(
        clippy::unused_self,
        reason = "the state file belongs to the running emulator, whatever it is computed from"
    )]
    pub(crate) fn state_file(&self) -> PathBuf {
        let relative = PathBuf::from(LOCAL_STATE_FILE);
        std::env::current_dir()
            .map(|directory| directory.join(&relative))
            .unwrap_or(relative)
    }
}

/// Creates `directory` (and any missing parents) for its owner only, since the state in it
/// describes security incidents. One that exists is left as its owner set it.
fn create_private_directory(directory: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(directory)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_state_directory_is_created_for_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let directory = root.path().join(".sirops");
        create_private_directory(&directory).unwrap();
        let mode = std::fs::metadata(&directory).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "{mode:o}");
        // Creating it again is no error.
        create_private_directory(&directory).unwrap();
    }
}
