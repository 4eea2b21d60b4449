//! GitHub Actions from the command line's side: whether to annotate, and where the step summary
//! and step outputs go, from the flags or, inside Actions, from the runner's environment. The
//! text itself comes from the pure `ci` module.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::args::{Annotations, GlobalArgs};
use crate::ci;
use crate::manifest::Diagnostic;

/// What this run tells GitHub beside its output.
#[derive(Debug, Clone, Default)]
pub(super) struct GitHub {
    /// Inside a GitHub Actions job, whose runner reads workflow commands from the log.
    in_actions: bool,
    annotations: bool,
    step_summary: Option<PathBuf>,
    outputs: Option<PathBuf>,
    /// The repository root annotation paths are relative to.
    workspace: Option<PathBuf>,
}

impl GitHub {
    pub(super) fn from_global(global: &GlobalArgs) -> GitHub {
        Self::from_settings(global, |name| std::env::var_os(name))
    }

    fn from_settings(
        global: &GlobalArgs,
        env: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> GitHub {
        let in_actions = env("GITHUB_ACTIONS").is_some_and(|value| value == "true");
        let from_runner = |name: &str| {
            env(name)
                .filter(|value| in_actions && !value.is_empty())
                .map(PathBuf::from)
        };
        GitHub {
            in_actions,
            annotations: match global.annotations {
                Some(kind) => kind == Annotations::Github,
                None => in_actions,
            },
            step_summary: global
                .step_summary
                .clone()
                .or_else(|| from_runner("GITHUB_STEP_SUMMARY")),
            outputs: global
                .github_output
                .clone()
                .or_else(|| from_runner("GITHUB_OUTPUT")),
            workspace: from_runner("GITHUB_WORKSPACE"),
        }
    }

    /// Prints one workflow command per diagnostic. They go to stdout, where the runner reads
    /// workflow commands, unless stdout carries a document (JSON, Markdown) that they would
    /// corrupt; the runner reads stderr too.
    pub(super) fn annotate(&self, diagnostics: &[Diagnostic], stdout_is_document: bool) {
        if !self.annotations || diagnostics.is_empty() {
            return;
        }
        let Ok(working_directory) = std::env::current_dir() else {
            return;
        };
        let root = self.workspace.as_deref().unwrap_or(&working_directory);
        let text: String = diagnostics
            .iter()
            .map(|diagnostic| {
                let path = ci::repository_path(&diagnostic.file, &working_directory, root);
                ci::github::annotation(diagnostic, &path)
            })
            .collect();
        // Annotations help a reviewer; the diagnostics on stderr are the record, so a closed
        // stream loses nothing that matters.
        let _ = if stdout_is_document {
            std::io::stderr().lock().write_all(text.as_bytes())
        } else {
            std::io::stdout().lock().write_all(text.as_bytes())
        };
    }

    /// Text for the job's log that no line of a manifest can turn into a workflow command:
    /// inside Actions, when stdout goes to the log rather than a file, the runner is told to
    /// stop reading commands until a one-time token. A title like `::add-mask::` or `##[error]`
    /// in a pull request's manifest is then shown, not obeyed.
    pub(super) fn guard_log(&self, text: &str, stream: Stream) -> String {
        if !self.in_actions || text.is_empty() || stream.is_a_file() {
            return text.to_string();
        }
        let token = format!("sirops-{:016x}", rand::random::<u64>());
        format!("::stop-commands::{token}\n{text}::{token}::\n")
    }

    /// Appends the Markdown `summary` makes to the step summary, when there is one (it is made
    /// only then: redacting a plan is work).
    pub(super) fn append_step_summary(&self, summary: &dyn Fn() -> String) -> anyhow::Result<()> {
        match &self.step_summary {
            Some(file) => append(file, &summary()).with_context(|| {
                format!("could not append to the step summary {}", file.display())
            }),
            None => Ok(()),
        }
    }

    /// Appends step outputs, when there is an outputs file.
    pub(super) fn write_outputs(&self, outputs: &[(&str, String)]) -> anyhow::Result<()> {
        match &self.outputs {
            Some(file) => append(file, &ci::github::output_lines(outputs))
                .with_context(|| format!("could not write the step outputs to {}", file.display())),
            None => Ok(()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    /// A redirected stream (`> plan.txt`) is a document, not the log: the guard would only
    /// corrupt it.
    fn is_a_file(self) -> bool {
        let device = match self {
            Stream::Stdout => "/dev/stdout",
            Stream::Stderr => "/dev/stderr",
        };
        std::fs::metadata(device).is_ok_and(|metadata| metadata.is_file())
    }
}

/// The runner creates both files and reads them after the step; other steps' lines may already
/// be in them, so sirops only ever appends.
fn append(file: &Path, text: &str) -> std::io::Result<()> {
    let mut handle = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)?;
    handle.write_all(text.as_bytes())?;
    handle.flush()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use clap::Parser;

    use super::*;
    use crate::cli::Cli;

    fn settings(args: &[&str], env: &[(&str, &str)]) -> GitHub {
        let cli = Cli::try_parse_from([&["sirops"], args, &["validate"]].concat()).unwrap();
        let env: HashMap<String, String> = env
            .iter()
            .map(|(name, value)| ((*name).to_string(), (*value).to_string()))
            .collect();
        GitHub::from_settings(&cli.global, |name| env.get(name).map(Into::into))
    }

    #[test]
    fn inside_actions_the_runner_files_are_used() {
        let github = settings(
            &[],
            &[
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_STEP_SUMMARY", "/run/summary"),
                ("GITHUB_OUTPUT", "/run/output"),
            ],
        );
        assert!(github.annotations);
        assert_eq!(
            github.step_summary.as_deref(),
            Some(Path::new("/run/summary"))
        );
        assert_eq!(github.outputs.as_deref(), Some(Path::new("/run/output")));
    }

    #[test]
    fn outside_actions_only_the_flags_count() {
        let env = [
            ("GITHUB_STEP_SUMMARY", "/run/summary"),
            ("GITHUB_OUTPUT", "/run/output"),
        ];
        let github = settings(&[], &env);
        assert!(!github.annotations);
        assert!(github.step_summary.is_none() && github.outputs.is_none());
        let flagged = settings(
            &[
                "--annotations",
                "github",
                "--step-summary",
                "s.md",
                "--github-output",
                "o",
            ],
            &env,
        );
        assert!(flagged.annotations);
        assert_eq!(flagged.step_summary.as_deref(), Some(Path::new("s.md")));
        assert_eq!(flagged.outputs.as_deref(), Some(Path::new("o")));
    }

    #[test]
    fn annotations_can_be_turned_off_inside_actions() {
        let github = settings(&["--annotations", "none"], &[("GITHUB_ACTIONS", "true")]);
        assert!(!github.annotations);
    }
}
