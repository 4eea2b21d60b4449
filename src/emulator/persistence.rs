//! `--state FILE`: the whole state as one JSON document, replaced atomically on every change
//! (write a temporary file beside it, fsync, rename over, fsync the directory), so a crash at
//! any moment leaves either the previous or the new document, never a torn one.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::emulator::store::{STATE_FORMAT_VERSION, State};

#[derive(Debug, Clone)]
pub(crate) struct StateFile {
    path: PathBuf,
}

impl StateFile {
    pub(crate) fn new(path: PathBuf) -> Self {
        StateFile { path }
    }

    /// The stored state; a fresh one when the file does not exist yet.
    pub(crate) fn load(&self) -> io::Result<State> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(State::default()),
            Err(error) => return Err(error),
        };
        let state: State = serde_json::from_slice(&bytes).map_err(|error| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{} is not an emulator state file ({error}); move it away or pass another --state",
                    self.path.display()
                ),
            )
        })?;
        if state.format_version != STATE_FORMAT_VERSION {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{} has state format {} but this emulator reads format {STATE_FORMAT_VERSION}",
                    self.path.display(),
                    state.format_version
                ),
            ));
        }
        Ok(state)
    }

    fn directory(&self) -> &Path {
        match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        }
    }

    /// Replaces the file with `document`. Blocking: call it off the async workers.
    pub(crate) fn store(&self, document: &[u8]) -> io::Result<()> {
        let mut temporary_name = self.path.file_name().unwrap_or_default().to_os_string();
        temporary_name.push(".tmp");
        // One fixed name: writes are serialised, and a leftover from a crash is simply replaced.
        let temporary = self.directory().join(temporary_name);
        let mut file = File::create(&temporary)?;
        file.write_all(document)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temporary, &self.path)?;
        // The rename is durable only once the directory entry is.
        File::open(self.directory())?.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_a_fresh_state_and_a_stored_state_reads_back() {
        let directory = tempfile::tempdir().unwrap();
        let file = StateFile::new(directory.path().join("state.json"));
        assert_eq!(file.load().unwrap(), State::default());
        let state = State {
            next_case_number: 42,
            ..State::default()
        };
        file.store(&serde_json::to_vec(&state).unwrap()).unwrap();
        assert_eq!(file.load().unwrap(), state);
        assert!(!directory.path().join("state.json.tmp").exists());
    }

    #[test]
    fn a_foreign_file_is_refused_with_its_name() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("state.json");
        fs::write(&path, b"not json").unwrap();
        let error = StateFile::new(path).load().unwrap_err();
        assert!(error.to_string().contains("state.json"));
    }
}
