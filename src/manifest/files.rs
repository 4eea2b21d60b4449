//! Which files `load` reads: every `*.yaml`/`*.yml` under the given directories (recursively)
//! plus files named directly, each once, in sorted order so output never depends on the
//! filesystem's listing order.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

/// A path that could not be used, or was left out, with why.
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
    /// Files found in a directory but not read, such as symlinks that lead out of it.
    pub skipped: Vec<Unreadable>,
    /// Directories that held no manifest file at all: probably a mistyped path.
    pub empty_directories: Vec<PathBuf>,
}

pub(crate) fn discover(paths: &[PathBuf]) -> Discovery {
    let mut discovery = Discovery::default();
    for path in paths {
        match fs::metadata(path) {
            Ok(metadata) if metadata.is_dir() => {
                let before = (discovery.files.len(), discovery.skipped.len());
                match fs::canonicalize(path) {
                    Ok(canonical) => {
                        let root = Root {
                            given: path,
                            canonical,
                        };
                        walk(path, &root, &mut discovery);
                    }
                    Err(error) => discovery.errors.push(Unreadable {
                        path: path.clone(),
                        message: format!("cannot read directory {}: {error}", path.display()),
                        hint: None,
                    }),
                }
                if (discovery.files.len(), discovery.skipped.len()) == before {
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
    discovery.files = read_once(std::mem::take(&mut discovery.files));
    discovery
}

/// A directory named to `discover`, which symlinked files under it may not lead out of.
struct Root<'a> {
    given: &'a Path,
    canonical: PathBuf,
}

fn walk(directory: &Path, root: &Root, discovery: &mut Discovery) {
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
            walk(&path, root, discovery);
        } else if is_manifest_file(&path) && (file_type.is_file() || path.is_file()) {
            if file_type.is_symlink() && !leads_inside(&path, &root.canonical) {
                // A link out of the manifest directory would let whoever can add a file there
                // make sirops read, and quote in its messages, any file the user can read.
                discovery.skipped.push(Unreadable {
                    message: format!(
                        "{} is a symlink to a file outside {}; not read",
                        path.display(),
                        root.given.display()
                    ),
                    hint: Some(
                        "move or copy the manifest into the directory, or name the file itself on the command line".into(),
                    ),
                    path,
                });
                continue;
            }
            discovery.files.push(path);
        }
    }
}

fn leads_inside(link: &Path, root: &Path) -> bool {
    fs::canonicalize(link).is_ok_and(|target| target.starts_with(root))
}

/// Sorted, and each file once however many paths lead to it; a file is named by its own path
/// rather than by a symlink to it.
fn read_once(mut files: Vec<PathBuf>) -> Vec<PathBuf> {
    files.sort();
    files.dedup();
    let mut by_target: HashMap<PathBuf, usize> = HashMap::new();
    let mut unique: Vec<PathBuf> = Vec::with_capacity(files.len());
    for path in files {
        let target = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if let Some(&index) = by_target.get(&target) {
            if is_symlink(&unique[index]) && !is_symlink(&path) {
                unique[index] = path;
            }
        } else {
            by_target.insert(target, unique.len());
            unique.push(path);
        }
    }
    unique
}

fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|metadata| metadata.file_type().is_symlink())
}

fn is_manifest_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|extension| extension.to_str()),
        Some("yaml" | "yml")
    )
}
