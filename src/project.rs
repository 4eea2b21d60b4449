//! The project: a repository's `sirops.yaml`, found upward from the working directory like
//! `.git`. It names the repository's **scope**, so that two repositories (or teams) in one
//! account never see or prune each other's cases, and its **manifest root**, the directory
//! whose manifests are the whole of what the repository owns: `--prune` runs only over it.
//!
//! ```yaml
//! # yaml-language-server: $schema=schemas/sirops.schema.json
//! scope: payments-secops   # optional; "default" when absent
//! manifests: cases         # optional; "cases" when absent, relative to this file
//! ```
//!
//! Without a `sirops.yaml` the working directory is the project root, the scope is
//! `default` and the manifest root is `cases/`, which is what sirops did before scopes existed:
//! a repository that adds the file later keeps its cases only if it keeps the default scope.

use std::path::{Component, Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diff::drift::DriftRule;
use crate::manifest::walk::Checker;
use crate::manifest::yaml::parse_stream;
use crate::manifest::{Diagnostic, Severity, quoted};
use crate::model::{DEFAULT_SCOPE, SpecField, limits, patterns};

/// The project file's name.
pub const PROJECT_FILE: &str = "sirops.yaml";

/// The manifest root when `sirops.yaml` names none.
pub const DEFAULT_MANIFEST_ROOT: &str = "cases";

/// `sirops.yaml`, as editors see it through `schemas/sirops.schema.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(
    title = "sirops project",
    description = "A repository's sirops settings: its scope and where its manifests are."
)]
pub struct ProjectFile {
    /// Every case sirops creates or adopts from this repository is tagged `sirops:scope=<scope>`;
    /// a run sees, changes and prunes only cases of its own scope. Cases tagged before scopes
    /// existed belong to `default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = limits::NAME_MAX), regex(pattern = anchored_scope_pattern()))]
    pub scope: Option<String>,
    /// The directory of this repository's manifests, relative to `sirops.yaml`. Commands read
    /// it when given no path, and `--prune` needs it read whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub manifests: Option<String>,
    /// Drift that is expected and left alone: shown in plans, never reverted, never a failed
    /// drift check. Each rule names fields, principals (patterns where `*` stands for any
    /// run of characters), or both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_drift: Option<Vec<IgnoreDriftRule>>,
}

/// One rule of `ignoreDrift`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IgnoreDriftRule {
    /// The spec fields the rule covers; every field when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub fields: Option<Vec<String>>,
    /// The principals whose edits the rule covers, e.g. `AWS Responder` or
    /// `arn:aws:iam::*:role/Responder*`; anyone's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub principals: Option<Vec<String>>,
}

impl IgnoreDriftRule {
    fn to_rule(&self) -> DriftRule {
        DriftRule {
            fields: self
                .fields
                .iter()
                .flatten()
                .filter_map(|name| SpecField::from_name(name))
                .collect(),
            principals: self.principals.clone().unwrap_or_default(),
        }
    }
}

/// The JSON Schema of `sirops.yaml`.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(ProjectFile)).expect("a schema always serialises")
}

/// Where the project is and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// The directory of `sirops.yaml`, or the working directory when there is none.
    pub root: PathBuf,
    /// `sirops.yaml` itself, when there is one.
    pub file: Option<PathBuf>,
    pub scope: String,
    /// The manifest root, as a path the user can read: relative to the working directory when
    /// it lies below it, absolute otherwise.
    pub manifest_root: PathBuf,
    /// `ignoreDrift`: the drift this repository expects and leaves alone.
    pub drift_rules: Vec<DriftRule>,
}

impl Project {
    /// The project of a directory with no `sirops.yaml` above it.
    pub fn without_file(working_directory: &Path) -> Project {
        Project {
            root: working_directory.to_path_buf(),
            file: None,
            scope: DEFAULT_SCOPE.to_string(),
            manifest_root: PathBuf::from(DEFAULT_MANIFEST_ROOT),
            drift_rules: Vec::new(),
        }
    }

    /// The paths a command reads when given none: the manifest root.
    pub fn default_paths(&self) -> Vec<PathBuf> {
        vec![self.manifest_root.clone()]
    }

    /// Whether reading `paths` reads the whole manifest root, which `--prune` needs: with fewer
    /// manifests loaded, every case of the others would look orphaned. A path that is the root
    /// or a directory above it covers it. The paths must exist (the manifests were loaded).
    pub fn covers_manifest_root(&self, paths: &[PathBuf]) -> bool {
        let Ok(root) = self.manifest_root.canonicalize() else {
            return false;
        };
        paths.iter().any(|path| {
            path.canonicalize()
                .is_ok_and(|path| root.starts_with(&path))
        })
    }

    /// Where the project's settings come from, for messages.
    pub fn describe_source(&self) -> String {
        match &self.file {
            Some(file) => file.display().to_string(),
            None => format!("no {PROJECT_FILE} found, so the defaults"),
        }
    }
}

/// Finds `sirops.yaml` in `working_directory` or the nearest directory above it, and reads it.
/// Its problems come back as diagnostics naming the file and line, like a manifest's.
pub fn discover(working_directory: &Path) -> Result<Project, Vec<Diagnostic>> {
    let Some(file) = working_directory
        .ancestors()
        .map(|directory| directory.join(PROJECT_FILE))
        .find(|candidate| candidate.is_file())
    else {
        return Ok(Project::without_file(working_directory));
    };
    let text = std::fs::read(&file).map_err(|error| {
        vec![error_at(
            &file,
            1,
            1,
            format!("cannot read {}: {error}", file.display()),
        )]
    })?;
    let shown = relative_to(&file, working_directory);
    let settings = parse(&shown, &text)?;
    let root = file.parent().unwrap_or(Path::new(".")).to_path_buf();
    let manifest_root = relative_to(
        &root.join(
            settings
                .manifests
                .as_deref()
                .unwrap_or(DEFAULT_MANIFEST_ROOT),
        ),
        working_directory,
    );
    Ok(Project {
        root,
        file: Some(shown),
        scope: settings.scope.unwrap_or_else(|| DEFAULT_SCOPE.to_string()),
        manifest_root,
        drift_rules: settings
            .ignore_drift
            .iter()
            .flatten()
            .map(IgnoreDriftRule::to_rule)
            .collect(),
    })
}

/// The largest `sirops.yaml` read; a few settings never come near it.
const PROJECT_FILE_MAX_BYTES: usize = 64 * 1024;

const FIELDS: [&str; 3] = ["scope", "manifests", "ignoreDrift"];

/// Reads the settings of one `sirops.yaml`; pure.
pub fn parse(file: &Path, bytes: &[u8]) -> Result<ProjectFile, Vec<Diagnostic>> {
    if bytes.len() > PROJECT_FILE_MAX_BYTES {
        return Err(vec![error_at(
            file,
            1,
            1,
            format!(
                "{} is {} bytes; a project file is a few settings, at most {PROJECT_FILE_MAX_BYTES} bytes",
                file.display(),
                bytes.len()
            ),
        )]);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(vec![error_at(
            file,
            1,
            1,
            "the file is not valid UTF-8".into(),
        )]);
    };
    let stream = parse_stream(text.strip_prefix('\u{feff}').unwrap_or(text));
    if let Some(error) = stream.errors.first() {
        return Err(vec![Diagnostic {
            file: file.to_path_buf(),
            line: error.position.line,
            column: error.position.column,
            severity: Severity::Error,
            message: error.message.clone(),
            hint: error.hint.clone(),
        }]);
    }
    let roots: Vec<_> = stream
        .documents
        .iter()
        .filter_map(|document| document.root.as_ref())
        .collect();
    let mut checker = Checker::default();
    let mut settings = ProjectFile {
        scope: None,
        manifests: None,
        ignore_drift: None,
    };
    match roots.as_slice() {
        [] => {}
        [root] => read_settings(&mut checker, root, &mut settings),
        [_, second, ..] => checker.error(
            second.position,
            format!("{PROJECT_FILE} holds one document; this is a second one"),
            Some("remove the `---` and everything after it".into()),
        ),
    }
    let mut diagnostics: Vec<Diagnostic> = checker
        .problems
        .into_iter()
        .map(|problem| problem.in_file(file))
        .collect();
    diagnostics.sort_by_key(|diagnostic| (diagnostic.line, diagnostic.column));
    if diagnostics
        .iter()
        .any(|diagnostic| diagnostic.severity == Severity::Error)
    {
        return Err(diagnostics);
    }
    Ok(settings)
}

fn read_settings(
    checker: &mut Checker,
    root: &crate::manifest::yaml::Node,
    settings: &mut ProjectFile,
) {
    let Some(fields) = checker.fields(root, "", &FIELDS, &[]) else {
        return;
    };
    if let Some(node) = fields.get("scope")
        && let Some(scope) = checker.text(node, "scope")
    {
        if is_valid_scope(scope) {
            settings.scope = Some(scope.to_string());
        } else {
            checker.error(
                node.position,
                format!("`scope` {} is not a valid scope", quoted(scope)),
                Some(format!(
                    "use 1 to {} lowercase letters, digits and '-', starting and ending with a letter or digit, e.g. payments-secops",
                    limits::NAME_MAX
                )),
            );
        }
    }
    if let Some(node) = fields.get("manifests")
        && let Some(manifests) = checker.text(node, "manifests")
    {
        let path = Path::new(manifests);
        let escapes = path
            .components()
            .any(|component| !matches!(component, Component::Normal(_) | Component::CurDir));
        if manifests.is_empty() || escapes {
            checker.error(
                node.position,
                format!(
                    "`manifests` {} is not a directory inside the project",
                    quoted(manifests)
                ),
                Some(format!(
                    "write a path relative to {PROJECT_FILE}, without `..`, e.g. `manifests: cases`"
                )),
            );
        } else {
            settings.manifests = Some(manifests.to_string());
        }
    }
    if let Some(node) = fields.get("ignoreDrift") {
        settings.ignore_drift = read_ignore_drift(checker, node);
    }
}

/// `ignoreDrift`: a list of rules, each with `fields` (spec field names), `principals`, or both.
fn read_ignore_drift(
    checker: &mut Checker,
    node: &crate::manifest::yaml::Node,
) -> Option<Vec<IgnoreDriftRule>> {
    let items = checker.list(node, "ignoreDrift", usize::MAX)?;
    let mut rules = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let path = format!("ignoreDrift[{index}]");
        let Some(fields) = checker.fields(item, &path, &["fields", "principals"], &[]) else {
            continue;
        };
        let mut rule = IgnoreDriftRule {
            fields: None,
            principals: None,
        };
        if let Some(node) = fields.get("fields") {
            rule.fields = read_names(
                checker,
                node,
                &format!("{path}.fields"),
                |name, checker, at| {
                    if SpecField::from_name(name).is_some() {
                        return true;
                    }
                    checker.error(
                        at,
                        format!("`{name}` is not a spec field"),
                        Some(crate::manifest::suggest_spec_field(name)),
                    );
                    false
                },
            );
        }
        if let Some(node) = fields.get("principals") {
            rule.principals =
                read_names(checker, node, &format!("{path}.principals"), |_, _, _| true);
        }
        if fields.get("fields").is_none() && fields.get("principals").is_none() {
            checker.error(
                item.position,
                format!(
                    "`{path}` names neither fields nor principals, so it would ignore all drift"
                ),
                Some("add `fields: [...]`, `principals: [...]`, or both".into()),
            );
            continue;
        }
        rules.push(rule);
    }
    Some(rules)
}

/// A non-empty list of non-empty strings, each accepted by `accept`.
fn read_names(
    checker: &mut Checker,
    node: &crate::manifest::yaml::Node,
    path: &str,
    accept: impl Fn(&str, &mut Checker, crate::manifest::yaml::Position) -> bool,
) -> Option<Vec<String>> {
    let items = checker.list(node, path, usize::MAX)?;
    if items.is_empty() {
        checker.error(
            node.position,
            format!("`{path}` is empty"),
            Some("remove it, or name at least one".into()),
        );
        return None;
    }
    let mut names = Vec::with_capacity(items.len());
    for item in items {
        let text = checker.text(item, path)?;
        if text.is_empty() {
            checker.error(item.position, format!("`{path}` holds an empty name"), None);
            return None;
        }
        if !accept(text, checker, item.position) {
            return None;
        }
        names.push(text.to_string());
    }
    Some(names)
}

/// Scopes are spelt like manifest names: they go into tag values and messages.
fn anchored_scope_pattern() -> String {
    format!("^(?:{})$", patterns::MANIFEST_NAME)
}

pub fn is_valid_scope(scope: &str) -> bool {
    static SCOPE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(&anchored_scope_pattern()).expect("pattern compiles")
    });
    scope.len() <= limits::NAME_MAX && SCOPE.is_match(scope)
}

fn error_at(file: &Path, line: usize, column: usize, message: String) -> Diagnostic {
    Diagnostic {
        file: file.to_path_buf(),
        line,
        column,
        severity: Severity::Error,
        message,
        hint: None,
    }
}

/// `path` relative to `base` when it lies below it, so messages show `cases/x.yaml` rather
/// than an absolute path; otherwise `path` as it is.
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    match path.strip_prefix(base) {
        Ok(relative) if relative.as_os_str().is_empty() => PathBuf::from("."),
        Ok(relative) => relative.to_path_buf(),
        Err(_) => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<ProjectFile, Vec<String>> {
        parse(Path::new("sirops.yaml"), text.as_bytes()).map_err(|diagnostics| {
            diagnostics
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        })
    }

    #[test]
    fn a_project_file_names_its_scope_and_manifest_root() {
        assert_eq!(
            parse_text("scope: payments-secops\nmanifests: incidents/open\n"),
            Ok(ProjectFile {
                scope: Some("payments-secops".into()),
                manifests: Some("incidents/open".into()),
                ignore_drift: None,
            })
        );
        assert_eq!(
            parse_text("# only a comment\n"),
            Ok(ProjectFile {
                scope: None,
                manifests: None,
                ignore_drift: None,
            })
        );
    }

    #[test]
    fn drift_rules_name_fields_principals_or_both() {
        let settings = parse_text(
            "ignoreDrift:\n  - fields: [watchers]\n    principals: [\"AWS Responder\"]\n  - fields: [status]\n",
        )
        .unwrap();
        let rules: Vec<DriftRule> = settings
            .ignore_drift
            .iter()
            .flatten()
            .map(IgnoreDriftRule::to_rule)
            .collect();
        assert_eq!(
            rules,
            [
                DriftRule {
                    fields: vec![SpecField::Watchers],
                    principals: vec!["AWS Responder".into()],
                },
                DriftRule {
                    fields: vec![SpecField::Status],
                    principals: vec![],
                },
            ]
        );
        let errors = parse_text("ignoreDrift:\n  - fields: [watcher]\n  - {}\n").unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].starts_with("sirops.yaml:2:14: error: `watcher` is not a spec field"),
            "{errors:?}"
        );
        assert!(errors[0].contains("did you mean `watchers`?"), "{errors:?}");
        assert!(
            errors[1].starts_with("sirops.yaml:3:5: error: `ignoreDrift[1]` names neither"),
            "{errors:?}"
        );
    }

    #[test]
    fn bad_settings_are_errors_naming_the_line() {
        let errors =
            parse_text("scope: Payments_SecOps\nmanifests: ../elsewhere\nscoep: x\n").unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert!(errors[0].starts_with("sirops.yaml:1:8: error: `scope`"));
        assert!(errors[1].starts_with("sirops.yaml:2:12: error: `manifests`"));
        assert!(errors[2].contains("sirops.yaml:3:1"), "{errors:#?}");
        assert!(errors[2].contains("scope"), "a suggestion: {errors:#?}");
        assert!(parse_text("scope: [a]\n").is_err());
        assert!(parse_text("scope: a\n---\nscope: b\n").is_err());
        assert!(parse_text("scope: \"a: [\n").is_err());
    }

    #[test]
    fn the_file_is_found_upward_and_paths_are_shown_from_the_working_directory() {
        let directory = tempfile::tempdir().unwrap();
        let root = directory.path();
        std::fs::write(
            root.join(PROJECT_FILE),
            "scope: team-a\nmanifests: incidents\n",
        )
        .unwrap();
        std::fs::create_dir_all(root.join("incidents/sub")).unwrap();

        let project = discover(root).unwrap();
        assert_eq!(project.scope, "team-a");
        assert_eq!(project.manifest_root, PathBuf::from("incidents"));
        assert_eq!(project.file, Some(PathBuf::from(PROJECT_FILE)));

        let below = root.join("incidents/sub");
        let project = discover(&below).unwrap();
        assert_eq!(project.root, root);
        assert_eq!(project.manifest_root, root.join("incidents"));
    }

    #[test]
    fn without_a_file_the_defaults_hold() {
        let directory = tempfile::tempdir().unwrap();
        let project = discover(directory.path()).unwrap();
        assert_eq!(project.scope, DEFAULT_SCOPE);
        assert_eq!(project.manifest_root, PathBuf::from("cases"));
        assert_eq!(project.file, None);
    }

    #[test]
    fn only_the_root_or_a_directory_above_it_covers_the_manifest_root() {
        let directory = tempfile::tempdir().unwrap();
        let root = directory.path();
        std::fs::create_dir_all(root.join("cases/team")).unwrap();
        std::fs::write(root.join("cases/one.yaml"), "").unwrap();
        let project = Project {
            manifest_root: root.join("cases"),
            ..Project::without_file(root)
        };
        assert!(project.covers_manifest_root(&[root.join("cases")]));
        assert!(project.covers_manifest_root(&[root.join("cases/./")]));
        assert!(project.covers_manifest_root(&[root.to_path_buf()]));
        assert!(project.covers_manifest_root(&[root.join("cases/one.yaml"), root.join("cases")]));
        assert!(!project.covers_manifest_root(&[root.join("cases/one.yaml")]));
        assert!(!project.covers_manifest_root(&[root.join("cases/team")]));
        assert!(!project.covers_manifest_root(&[]));
    }

    #[test]
    fn the_repositorys_own_project_file_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(PROJECT_FILE);
        let settings = parse(&path, &std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(settings.scope.as_deref(), Some(DEFAULT_SCOPE));
        assert_eq!(settings.manifests.as_deref(), Some(DEFAULT_MANIFEST_ROOT));
    }

    #[test]
    fn checked_in_schema_is_current() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/sirops.schema.json");
        let generated = format!(
            "{}\n",
            serde_json::to_string_pretty(&json_schema()).unwrap()
        );
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == generated,
            "schemas/sirops.schema.json is stale: run UPDATE_SCHEMA=1 cargo test --lib project"
        );
    }
}
