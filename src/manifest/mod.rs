//! Manifests (`docs/reference.md`, "Manifests"): reading YAML files into validated, normalised `DesiredCase`
//! values, with every problem reported as a `Diagnostic` that names file, line and column.
//!
//! The pipeline: `files` picks the paths, `yaml` reads each file into a located tree, `validate`
//! applies the per-document rules through `walk`, and `collect` adds the rules that span files
//! and sorts the result. `schema` describes the same format as a JSON Schema for editors, and
//! `write_back` records a created case's id into its file.
//!
//! Decisions the reference leaves to the implementation:
//! - An empty file (or one of comments and `---` only) is a warning, not an error: kubectl
//!   ignores such files, but under `cases/` one is probably a mistake. Empty documents inside a
//!   file (a trailing `---`) are ignored silently. A directory with no `*.yaml`/`*.yml` file is a
//!   warning; a path that does not exist is an error.
//! - Inside a directory, a symlinked file is read only when it leads to a file inside that
//!   directory (once, however many links lead to it); one leading out is skipped with a
//!   warning. Symlinked directories are not followed. A file named directly is always read.
//! - The docs' status spelling "Containment, Eradication, and Recovery" is accepted silently.
//! - Values are read as their YAML text, so `title: 123` is the string "123" and an unquoted
//!   date is its RFC 3339 text. Numbers where an id belongs (`caseId`, accounts) are accepted
//!   with a warning to quote them, because other YAML tools would drop leading zeros.
//! - `key:` with nothing after it is null: an error for lists and maps (write `[]` to manage an
//!   empty list), and for tag values (write `""`).
//! - A file over 1 MiB is refused before it is parsed (see `MANIFEST_FILE_MAX_BYTES`).
//! - Aliases are expanded, adding at most 1 MiB per file (scalar text plus a fixed cost per
//!   node, so both long strings and many small nodes count); deeper than 32 levels is refused.
//! - After a YAML syntax error, reading resumes at the next `---` line, so one broken document
//!   does not hide the problems of the others.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::model::DesiredCase;

mod collect;
mod diagnostic;
mod files;
mod rewrite;
mod schema;
mod suggest;
mod validate;
pub(crate) mod walk;
mod write_back;
pub(crate) mod yaml;

pub(crate) use diagnostic::quoted;
pub use diagnostic::{Diagnostic, Severity};
pub use rewrite::{RewriteError, rewrite_fields};
pub use schema::{
    ApiVersion, CaseManifest, CaseSpec, Kind, ManifestMetadata, ManifestStatus,
    ThreatActorIpManifest, WatcherManifest,
};
pub use validate::is_valid_manifest_name;

/// "did you mean `watchers`?" for a name that is not a spec field.
pub(crate) fn suggest_spec_field(name: &str) -> String {
    suggest::hint(name, crate::model::SpecField::names())
}
pub use write_back::{WriteBackError, write_back_case_id};

/// The largest manifest file sirops reads, in bytes. A manifest at every API limit written in
/// ASCII is about 300 KB and a real one a few KB, so a bigger file is a mistake or an attack;
/// refusing it up front bounds the memory and time one file can cost. Several manifests that
/// together pass it belong in several files.
pub const MANIFEST_FILE_MAX_BYTES: usize = 1024 * 1024;

/// A valid manifest and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedManifest {
    pub desired: DesiredCase,
    /// `metadata.ignore`: the fields whose drift this manifest leaves alone.
    pub ignore: Vec<crate::model::SpecField>,
    pub file: PathBuf,
    /// 1-based line of the document's first key (where `apiVersion:` usually is).
    pub line: usize,
}

impl LoadedManifest {
    /// `cases/x.yaml:3`: where the manifest is written, for messages.
    pub fn source(&self) -> String {
        format!("{}:{}", self.file.display(), self.line)
    }
}

/// Every manifest read from some paths, and every problem found on the way.
#[derive(Debug, Clone, Default)]
pub struct Manifests {
    /// Only the valid ones, in name order.
    pub manifests: Vec<LoadedManifest>,
    /// In file, line, column order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Manifests {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|diagnostic| diagnostic.severity == Severity::Error)
    }
}

/// Reads every `*.yaml`/`*.yml` under the paths (files or directories) and validates them
/// together (names must be unique across all of them).
/// A path that does not exist is an error; a directory without manifest files, or an empty
/// file, a warning.
pub fn load(paths: &[PathBuf]) -> Manifests {
    let discovery = files::discover(paths);
    let mut collector = collect::Collector::default();
    let file_start = yaml::Position { line: 1, column: 1 };
    for unreadable in discovery.errors {
        collector.error_at(
            &unreadable.path,
            file_start,
            unreadable.message,
            unreadable.hint,
        );
    }
    for skipped in discovery.skipped {
        collector.warning_at(&skipped.path, file_start, skipped.message, skipped.hint);
    }
    for directory in discovery.empty_directories {
        collector.warning_at(
            &directory,
            file_start,
            format!("no *.yaml or *.yml files under {}", directory.display()),
            Some("check the path".into()),
        );
    }
    for file in &discovery.files {
        match read_bounded(file) {
            Ok(Bounded::Within(bytes)) => collector.add_source(file, &bytes),
            Ok(Bounded::TooLarge(size)) => collector.file_too_large(file, size),
            Err(error) => collector.error_at(
                file,
                file_start,
                format!("cannot read {}: {error}", file.display()),
                None,
            ),
        }
    }
    collector.finish()
}

/// A file's bytes, or how much of it there was when that is too much.
enum Bounded {
    Within(Vec<u8>),
    TooLarge(FileSize),
}

/// How large a refused file is, as far as sirops looked.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FileSize {
    Exactly(u64),
    /// A file that grew while it was read, or a special file whose metadata has no size.
    MoreThan(u64),
}

/// Reads at most one byte past the limit: the metadata refuses a large regular file without
/// reading it, and `take` stops a file that grows, or a device that never ends, at the limit.
fn read_bounded(path: &Path) -> std::io::Result<Bounded> {
    let limit = MANIFEST_FILE_MAX_BYTES as u64;
    let file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size > limit {
        return Ok(Bounded::TooLarge(FileSize::Exactly(size)));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Ok(Bounded::TooLarge(FileSize::MoreThan(limit)));
    }
    Ok(Bounded::Within(bytes))
}

/// Parses and validates one file's text; pure, for tests and fuzzing. Text over
/// `MANIFEST_FILE_MAX_BYTES` is refused as `load` refuses such a file.
pub fn parse_source(file: &Path, text: &[u8]) -> Manifests {
    let mut collector = collect::Collector::default();
    collector.add_source(file, text);
    collector.finish()
}

/// The JSON Schema of a manifest document, generated from the Rust types.
pub fn json_schema() -> serde_json::Value {
    schema::json_schema()
}
