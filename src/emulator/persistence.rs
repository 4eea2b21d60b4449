//! `--state FILE`: the whole state as one JSON document, replaced atomically on every change
//! (write a temporary file beside it, fsync, rename over, fsync the directory), so a crash at
//! any moment leaves either the previous or the new document, never a torn one. The cases in it
//! describe security incidents, so the file is readable by its owner only.

use std::fs;
use std::io;
use std::path::PathBuf;

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
        let mut state: State = serde_json::from_slice(&bytes).map_err(|error| {
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
        state.upgrade_token_keys();
        Ok(state)
    }

    /// Replaces the file with `document`, private to its owner, atomically and durably.
    /// Blocking: call it off the async workers.
    pub(crate) fn store(&self, document: &[u8]) -> io::Result<()> {
        crate::paths::write_private(&self.path, document)
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
        let next = State {
            next_case_number: 43,
            ..State::default()
        };
        file.store(&serde_json::to_vec(&next).unwrap()).unwrap();
        assert_eq!(file.load().unwrap(), next);
        let names: Vec<_> = fs::read_dir(directory.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, ["state.json"], "no temporary file is left behind");
    }

    #[cfg(unix)]
    #[test]
    fn the_state_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("state.json");
        // Written before by something less careful: storing makes it private.
        fs::write(&path, b"{}").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        StateFile::new(path.clone())
            .store(&serde_json::to_vec(&State::default()).unwrap())
            .unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
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
