//! Gathers every file's documents into one `Manifests`: decoding bytes, running the per-document
//! rules, and the rules that span documents and files (a name or case id bound twice). Reading
//! the filesystem happens here too, in `files`, so that the rest of the module stays pure.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::diagnostic::{Diagnostic, Severity, quoted};
use super::validate::validate_document;
use super::walk::Problem;
use super::yaml::{Node, Position, parse_stream};
use super::{FileSize, LoadedManifest, MANIFEST_FILE_MAX_BYTES, Manifests};

/// Where a value was first seen, to name it when it is seen again.
struct FirstSeen {
    file: PathBuf,
    line: usize,
}

#[derive(Default)]
pub(crate) struct Collector {
    manifests: Vec<LoadedManifest>,
    diagnostics: Vec<Diagnostic>,
    names: HashMap<String, FirstSeen>,
    case_ids: HashMap<String, FirstSeen>,
    previous_names: HashMap<String, FirstSeen>,
}

impl Collector {
    pub(crate) fn problem(&mut self, file: &Path, problem: Problem) {
        self.diagnostics.push(problem.in_file(file));
    }

    pub(crate) fn error_at(
        &mut self,
        file: &Path,
        position: Position,
        message: String,
        hint: Option<String>,
    ) {
        let problem = Problem::new(Severity::Error, position, message, hint);
        self.problem(file, problem);
    }

    // `error_at` again at another severity: callers name the severity by the method they call.
    pub(crate) fn warning_at(
        &mut self,
        file: &Path,
        position: Position,
        message: String,
        hint: Option<String>,
    ) {
        let problem = Problem::new(Severity::Warning, position, message, hint);
        self.problem(file, problem);
    }

    /// Refuses a file over `MANIFEST_FILE_MAX_BYTES`, at its start since no line is to blame.
    pub(crate) fn file_too_large(&mut self, file: &Path, size: FileSize) {
        let size = match size {
            FileSize::Exactly(bytes) => format!("{bytes} bytes"),
            FileSize::MoreThan(bytes) => format!("more than {bytes} bytes"),
        };
        self.error_at(
            file,
            Position { line: 1, column: 1 },
            format!(
                "the file is {size}; a manifest file may be at most {MANIFEST_FILE_MAX_BYTES} bytes (1 MiB)"
            ),
            Some(
                "split the manifests over several files: even one at every API limit is a few hundred KB"
                    .into(),
            ),
        );
    }

    /// Reads one file's bytes: every document, every problem.
    pub(crate) fn add_source(&mut self, file: &Path, bytes: &[u8]) {
        if bytes.len() > MANIFEST_FILE_MAX_BYTES {
            self.file_too_large(file, FileSize::Exactly(bytes.len() as u64));
            return;
        }
        let Some(text) = self.decode(file, bytes) else {
            return;
        };
        let stream = parse_stream(text);
        for error in stream.errors.iter().cloned() {
            self.error_at(file, error.position, error.message, error.hint);
        }
        let mut roots = 0;
        for root in stream
            .documents
            .iter()
            .filter_map(|document| document.root.as_ref())
        {
            roots += 1;
            self.add_document(file, root);
        }
        // Like kubectl, an empty file is not an error; under cases/ it is probably a mistake.
        if roots == 0 && stream.errors.is_empty() {
            self.warning_at(
                file,
                Position { line: 1, column: 1 },
                "the file holds no manifests".into(),
                Some("add a Case manifest or delete the file".into()),
            );
        }
    }

    /// The text of a file, without a byte order mark; `None`, and an error at the first bad
    /// byte, when it is not UTF-8.
    fn decode<'a>(&mut self, file: &Path, bytes: &'a [u8]) -> Option<&'a str> {
        match std::str::from_utf8(bytes) {
            Ok(text) => Some(text.strip_prefix('\u{feff}').unwrap_or(text)),
            Err(error) => {
                let valid = &bytes[..error.valid_up_to()];
                let line = 1 + valid.iter().filter(|byte| **byte == b'\n').count();
                let line_start = valid
                    .iter()
                    .rposition(|byte| *byte == b'\n')
                    .map_or(0, |index| index + 1);
                let column = 1 + String::from_utf8_lossy(&valid[line_start..])
                    .chars()
                    .count();
                self.error_at(
                    file,
                    Position { line, column },
                    format!("the file is not valid UTF-8 (byte {})", error.valid_up_to()),
                    Some("save the file as UTF-8".into()),
                );
                None
            }
        }
    }

    /// One document: its own rules, then the names and case id it binds across all files. It
    /// is kept only when both pass.
    fn add_document(&mut self, file: &Path, root: &Node) {
        let report = validate_document(root);
        let mut valid = report.desired.is_some();
        for problem in report.problems {
            self.problem(file, problem);
        }
        if let Some(name) = &report.name {
            valid &= self.claim_once(file, name.position, &name.value, Claim::Name);
        }
        if let Some(case_id) = &report.case_id {
            valid &= self.claim_once(file, case_id.position, &case_id.value, Claim::CaseId);
        }
        for previous in &report.previous_names {
            valid &= self.claim_once(
                file,
                previous.position,
                &previous.value,
                Claim::PreviousName,
            );
        }
        if let (true, Some(desired)) = (valid, report.desired) {
            self.manifests.push(LoadedManifest {
                desired,
                ignore: report.ignore,
                file: file.to_path_buf(),
                line: root.position.line,
            });
        }
    }

    /// Records `value` as bound by this document; false (and an error) when another has it.
    /// A name is bound once whether current or previous, so a rename can be traced to one
    /// manifest and a previous name never points at a case another manifest owns.
    fn claim_once(&mut self, file: &Path, position: Position, value: &str, claim: Claim) -> bool {
        let conflict = match claim {
            Claim::Name | Claim::PreviousName => self
                .names
                .get(value)
                .map(|first| (Claim::Name, first))
                .or_else(|| {
                    self.previous_names
                        .get(value)
                        .map(|first| (Claim::PreviousName, first))
                }),
            Claim::CaseId => self.case_ids.get(value).map(|first| (Claim::CaseId, first)),
        };
        if let Some((earlier, first)) = conflict {
            let (message, hint) = conflict_message(claim, earlier, &quoted(value), first);
            self.error_at(file, position, message, Some(hint.into()));
            return false;
        }
        let seen = match claim {
            Claim::Name => &mut self.names,
            Claim::CaseId => &mut self.case_ids,
            Claim::PreviousName => &mut self.previous_names,
        };
        seen.insert(
            value.to_string(),
            FirstSeen {
                file: file.to_path_buf(),
                line: position.line,
            },
        );
        true
    }

    pub(crate) fn finish(mut self) -> Manifests {
        self.manifests
            .sort_by(|left, right| left.desired.name.cmp(&right.desired.name));
        // Stable: problems at one position keep the order the rules found them in.
        self.diagnostics.sort_by(|left, right| {
            (&left.file, left.line, left.column).cmp(&(&right.file, right.line, right.column))
        });
        Manifests {
            manifests: self.manifests,
            diagnostics: self.diagnostics,
        }
    }
}

#[derive(Clone, Copy)]
enum Claim {
    Name,
    CaseId,
    PreviousName,
}

/// What is wrong when `value`, claimed as `claim`, was first claimed as `earlier` at `first`.
fn conflict_message(
    claim: Claim,
    earlier: Claim,
    value: &str,
    first: &FirstSeen,
) -> (String, &'static str) {
    let at = format!("{}:{}", first.file.display(), first.line);
    match (claim, earlier) {
        (Claim::Name, Claim::Name) => (
            format!("the manifest name {value} is already used at {at}"),
            "names are unique across all manifests: rename one of them",
        ),
        (Claim::Name, _) => (
            format!("the manifest name {value} is a previous name of the manifest at {at}"),
            "a renamed manifest's old name cannot be taken by another: rename this one, or remove the name from that manifest's previousNames",
        ),
        (Claim::PreviousName, Claim::Name) => (
            format!("the previous name {value} is the name of the manifest at {at}"),
            "a previous name must not be in use: remove it from previousNames, or rename the other manifest",
        ),
        (Claim::PreviousName, _) => (
            format!("the previous name {value} is also a previous name of the manifest at {at}"),
            "one old name can lead to one manifest only: remove it from the previousNames of one of them",
        ),
        (Claim::CaseId, _) => (
            format!("the case id {value} is already bound by the manifest at {at}"),
            "one case has one manifest: remove the caseId from one of them",
        ),
    }
}
