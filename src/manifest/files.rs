//! Which files `load` reads: every `*.yaml`/`*.yml` under the given directories (recursively)
//! plus files named directly, each once, in sorted order so output never depends on the
//! filesystem's listing order.

use std::fs;
use std::path::{Path, PathBuf};

/// A path that could not be used, with why.
pub(crate) struct Unreadable {
    pub path: PathBuf,
    pub message: String,
    pub hint: Option<String>,
}

/// Warnings and errors about the paths themselves.
#[derive(Default)]
pub(crate) struct Discovery {
    pub files: Vec<PathBuf>,
    pub errors: Vec<Unreadable>,
    /// Directories that held no manifest file at all: probably a mistyped path.
    pub empty_directories: Vec<PathBuf>,
}

pub(crate) fn discover(paths: &[PathBuf]) -> Discovery {
    let mut discovery = Discovery::default();
    for path in paths {
        match fs::metadata(path) {
            Ok(metadata) if metadata.is_dir() => {
                let before = discovery.files.len();
                walk(path, &mut discovery);
                if discovery.files.len() == before {
                    discovery.empty_directories.push(path.clone());
                }
            }
            // A file named on the command line is read whatever its extension.
            Ok(_) => discovery.files.push(path.clone()),
            Err(error) => discovery.errors.push(Unreadable {
                path: path.clone(),
                message: format!("cannot read {}: {error}", path.display()),
                hint: Some(
                    "check the path; sirops reads manifest files and directories of them".into(),
                ),
            }),
        }
    }
    discovery.files.sort();
    discovery.files.dedup();
    discovery
}

fn walk(directory: &Path, discovery: &mut Discovery) {
    let entries = match fs::read_dir(directory) {
        Ok(entries) => entries,
        Err(error) => {
            discovery.errors.push(Unreadable {
                path: directory.to_path_buf(),
                message: format!("cannot read directory {}: {error}", directory.display()),
                hint: None,
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // Symlinked directories are not followed, so a link loop cannot trap the walk.
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            walk(&path, discovery);
        } else if is_manifest_file(&path) && (file_type.is_file() || path.is_file()) {
            discovery.files.push(path);
        }
    }
}

fn is_manifest_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|extension| extension.to_str()),
        Some("yaml" | "yml")
    )
}
