//! Git, read through its command line: the commit the manifests are read at, and a manifest
//! as it was at an earlier commit. Nothing here writes to the repository except
//! [`pull_fast_forward`], which `reconcile --git-pull` asks for.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::model::Timestamp;

/// A git work tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    /// Canonical, so that manifest paths can be made relative to it.
    root: PathBuf,
}

impl Repository {
    /// The work tree that holds `path`, when there is one and git can be run.
    pub fn containing(path: &Path) -> Option<Repository> {
        let directory = if path.is_dir() { path } else { path.parent()? };
        let root = run(directory, &["rev-parse", "--show-toplevel"]).ok()?;
        Some(Repository {
            root: std::fs::canonicalize(root).ok()?,
        })
    }

    /// The commit checked out, when none of `paths` differs from it: a commit recorded as
    /// applied must hold exactly the manifests that were applied.
    pub fn clean_head(&self, paths: &[PathBuf]) -> Option<String> {
        let mut status = vec!["status", "--porcelain", "--untracked-files=all", "--"];
        let paths: Vec<String> = paths
            .iter()
            .map(|path| path.display().to_string())
            .collect();
        status.extend(paths.iter().map(String::as_str));
        let changed = run(&self.root, &status).ok()?;
        if !changed.is_empty() {
            return None;
        }
        run(&self.root, &["rev-parse", "HEAD"]).ok()
    }

    /// The full commit id `reference` names.
    pub fn resolve(&self, reference: &str) -> Result<String, String> {
        run(
            &self.root,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{reference}^{{commit}}"),
            ],
        )
        .map_err(|_| {
            format!(
                "{reference} is not a commit of the repository at {}",
                self.root.display()
            )
        })
    }

    /// When `revision` was committed.
    pub fn commit_time(&self, revision: &str) -> Option<Timestamp> {
        let text = run(&self.root, &["log", "-1", "--format=%cI", revision]).ok()?;
        Timestamp::parse_rfc3339(&text).ok()
    }

    /// The contents of `file` at `commit`, a commit [`Repository::resolve`] named; `None`
    /// when the file did not exist there.
    pub fn file_at(&self, commit: &str, file: &Path) -> Option<Vec<u8>> {
        let absolute = std::fs::canonicalize(file).ok()?;
        let relative = absolute.strip_prefix(&self.root).ok()?;
        let output = Command::new("git")
            .current_dir(&self.root)
            .args(["show", &format!("{commit}:{}", relative.display())])
            .output()
            .ok()?;
        output.status.success().then_some(output.stdout)
    }
}

/// Brings the work tree holding `directory` up to its upstream branch, only by fast-forward:
/// `reconcile` never merges, and a work tree that diverged is a person's to sort out.
pub fn pull_fast_forward(directory: &Path) -> Result<(), String> {
    let repository = Repository::containing(directory).ok_or_else(|| {
        format!(
            "--git-pull: {} is not in a git work tree",
            directory.display()
        )
    })?;
    run(&repository.root, &["pull", "--ff-only", "--quiet"])
        .map(drop)
        .map_err(|error| format!("git pull --ff-only failed: {error}"))
}

/// Runs git in `directory`; its trimmed stdout, or its stderr when it fails.
fn run(directory: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new("git")
        .current_dir(directory)
        .args(args)
        .output()
        .map_err(|error| error.to_string())?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_string())
    }
}
