//! Small filesystem helpers with one home: every file sirops writes (saved plans, manifests it
//! edits or imports, the local emulator's state) goes through a temporary file beside it that
//! is flushed to disk and then renamed into place, so a reader or a crash never sees half a
//! file, and the rename itself is flushed too.

use std::fs::{File, Permissions};
use std::io::{self, Write};
use std::path::Path;

use tempfile::NamedTempFile;

/// Replaces (or creates) `path`. An existing file keeps its permissions.
pub fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    let permissions = std::fs::metadata(path)
        .ok()
        .map(|metadata| metadata.permissions());
    let staged = stage(path, contents, permissions)?;
    staged.persist(path).map_err(|error| error.error)?;
    sync_directory(path)
}

/// Creates `path`, which must not exist: a file that appears meanwhile is never replaced.
pub fn write_new(path: &Path, contents: &[u8]) -> io::Result<()> {
    let staged = stage(path, contents, None)?;
    staged.persist_noclobber(path).map_err(|error| {
        if error.error.kind() == io::ErrorKind::AlreadyExists {
            io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} already exists and was not overwritten", path.display()),
            )
        } else {
            error.error
        }
    })?;
    sync_directory(path)
}

/// Replaces `path` with a file only its owner can read or write (on unix: mode 0600 from the
/// moment the temporary file exists, so no other process can open it in between).
pub fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    #[cfg(unix)]
    let permissions = {
        use std::os::unix::fs::PermissionsExt;
        Some(Permissions::from_mode(0o600))
    };
    #[cfg(not(unix))]
    let permissions = None;
    let staged = stage(path, contents, permissions)?;
    staged.persist(path).map_err(|error| error.error)?;
    sync_directory(path)
}

fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// The contents in a temporary file of a name of its own beside `path` (`.<name>.XXXXXX.tmp`,
/// recognisable if a crash leaves it), already flushed to disk.
fn stage(
    path: &Path,
    contents: &[u8],
    permissions: Option<Permissions>,
) -> io::Result<NamedTempFile> {
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(path.file_name().unwrap_or_default());
    prefix.push(".");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    if let Some(permissions) = permissions {
        builder.permissions(permissions);
    }
    let mut staged = builder.tempfile_in(directory_of(path))?;
    staged.write_all(contents)?;
    staged.as_file().sync_all()?;
    Ok(staged)
}

/// A rename is durable only once the directory entry is.
fn sync_directory(path: &Path) -> io::Result<()> {
    File::open(directory_of(path))?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(directory: &Path) -> Vec<std::ffi::OsString> {
        std::fs::read_dir(directory)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect()
    }

    #[test]
    fn a_write_replaces_the_file_and_keeps_its_permissions() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("x.yaml");
        write_atomically(&path, b"one").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, Permissions::from_mode(0o640)).unwrap();
            write_atomically(&path, b"two").unwrap();
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o640);
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        assert_eq!(entries(directory.path()), ["x.yaml"], "nothing left behind");
    }

    #[test]
    fn a_new_file_is_written_and_an_existing_one_never_replaced() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("case.yaml");
        write_new(&path, b"first").unwrap();
        let error = write_new(&path, b"second").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "first");
        assert_eq!(
            entries(directory.path()),
            ["case.yaml"],
            "nothing left behind"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_private_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("state.json");
        std::fs::write(&path, b"old").unwrap();
        std::fs::set_permissions(&path, Permissions::from_mode(0o644)).unwrap();
        write_private(&path, b"{}").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}");
    }
}
