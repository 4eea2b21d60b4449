//! The command-line edge: turns arguments into work on the pure core and the live API, prints
//! results to stdout and progress and logs to stderr, and maps outcomes to exit codes.

mod apply_command;
mod args;
mod github;
mod import_command;
mod local;
mod output;
mod plan_command;
mod reconcile_command;
mod refresh_command;
mod status_command;

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, Parser};

pub use args::Cli;
use args::{
    Command, EmulatorArgs, GlobalArgs, PathsArgs, SchemaArgs, ValidateArgs, ValidateFormat,
};

use crate::live::aws::{ClientSettings, SdkCaseApi};
use crate::manifest;
use crate::ops::plan::Endpoint;
use crate::ops::{self, Workspace};

/// How a command ended, mapped to an exit code in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 0: done; with `--detailed-exitcode`, no changes.
    Success,
    /// 1: something failed or was refused.
    Failure,
    /// 2: changes present (only with `--detailed-exitcode`).
    ChangesPresent,
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> ExitCode {
        match outcome {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::Failure => ExitCode::from(1),
            Outcome::ChangesPresent => ExitCode::from(2),
        }
    }
}

/// Parses the process arguments and runs the command.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap exits 2 on a usage error, which CI would read as "changes present".
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    output::init_logging(&cli.global, matches!(cli.command, Command::Reconcile(_)));
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")
        .and_then(|runtime| runtime.block_on(run(cli)));
    match result {
        Ok(outcome) => outcome.into(),
        Err(error) => {
            // Read-only output cut short by a closed pipe (`sirops plan | head`) is not an
            // error; `apply` maps its own broken pipe to a failure before it gets here.
            if is_broken_pipe(&error) {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(std::io::stderr(), "error: {}", error_line(&error));
            ExitCode::from(1)
        }
    }
}

/// The error and its causes on one line. A cause the message already contains is not repeated
/// (the API errors of sirops say what happened and what to do in one sentence).
fn error_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

pub async fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let global = cli.global;
    match cli.command {
        Command::Validate(args) => validate(&global, &args),
        Command::Plan(args) => plan_command::run(&global, args).await,
        Command::Status(args) => status_command::run(&global, args).await,
        Command::Apply(args) => apply_command::run(&global, args).await,
        Command::Import(args) => import_command::run(&global, args).await,
        Command::Refresh(args) => refresh_command::run(&global, args).await,
        Command::Reconcile(args) => reconcile_command::run(&global, args).await,
        Command::Schema(args) => schema(&args),
        Command::Emulator(args) => {
            crate::emulator::run(emulator_config(args)?)
                .await
                .context("the emulator stopped")?;
            Ok(Outcome::Success)
        }
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "sirops", &mut std::io::stdout());
            Ok(Outcome::Success)
        }
    }
}

fn schema(args: &SchemaArgs) -> anyhow::Result<Outcome> {
    let schema = if args.project {
        crate::project::json_schema()
    } else if args.apply_report {
        crate::apply::report::json_schema()
    } else {
        manifest::json_schema()
    };
    let schema = serde_json::to_string_pretty(&schema)?;
    output::print_stdout(&format!("{schema}\n"))?;
    Ok(Outcome::Success)
}

fn emulator_config(args: EmulatorArgs) -> anyhow::Result<crate::emulator::EmulatorConfig> {
    let mut rate_limits = crate::emulator::RateLimits::default();
    for spec in args.rate_limit {
        rate_limits.add(spec);
    }
    let responder_delay = match args.aws_responder_delay {
        Some(seconds) if seconds.is_finite() && seconds >= 0.0 => {
            Some(std::time::Duration::from_secs_f64(seconds))
        }
        Some(_) => anyhow::bail!("--aws-responder-delay is a number of seconds, 0 or more"),
        None => None,
    };
    Ok(crate::emulator::EmulatorConfig {
        listen: args.listen,
        state_file: args.state,
        latency: std::time::Duration::from_millis(args.latency_ms),
        fault_rate: args.fault_rate,
        seed: args.seed,
        account: args.account,
        rate_limits,
        not_active: args.not_active,
        aws_responder_delay: responder_delay,
    })
}

fn validate(global: &GlobalArgs, args: &ValidateArgs) -> anyhow::Result<Outcome> {
    let gitlab = args.format == ValidateFormat::Gitlab;
    let shown = Shown::new(global, gitlab);
    let (diagnostics, valid) = match load_workspace(&shown, &args.paths)? {
        Ok(workspace) => {
            let valid = (!workspace.has_errors()).then_some(workspace.manifests.manifests.len());
            (workspace.manifests.diagnostics, valid)
        }
        Err(project_problems) => (project_problems, None),
    };
    if gitlab {
        let working_directory =
            std::env::current_dir().context("could not read the working directory")?;
        let placed: Vec<(manifest::Diagnostic, String)> = diagnostics
            .into_iter()
            .map(|diagnostic| {
                let path = crate::ci::repository_path(
                    &diagnostic.file,
                    &working_directory,
                    &working_directory,
                );
                (diagnostic, path)
            })
            .collect();
        output::print_stdout(&crate::ci::gitlab::code_quality_report(&placed))?;
    }
    let Some(count) = valid else {
        return Ok(Outcome::Failure);
    };
    if !gitlab {
        output::print_stdout(&format!("{} valid.\n", output::plural(count, "manifest")))?;
    }
    Ok(Outcome::Success)
}

/// How the problems of a command's input are shown: text on stderr, and annotations where CI
/// reads them.
pub(crate) struct Shown<'a> {
    global: &'a GlobalArgs,
    /// stdout carries a document (JSON, Markdown, a report) annotations must stay out of.
    stdout_is_document: bool,
}

impl<'a> Shown<'a> {
    fn new(global: &'a GlobalArgs, stdout_is_document: bool) -> Shown<'a> {
        Shown {
            global,
            stdout_is_document,
        }
    }

    fn diagnostics(&self, diagnostics: &[manifest::Diagnostic]) {
        let github = github::GitHub::from_global(self.global);
        let text: String = diagnostics
            .iter()
            .map(|diagnostic| format!("{diagnostic}\n"))
            .collect();
        let _ =
            std::io::stderr().write_all(github.guard_log(&text, github::Stream::Stderr).as_bytes());
        github.annotate(diagnostics, self.stdout_is_document);
    }
}

/// The project and its manifests, with every problem shown; the project file's problems
/// when `sirops.yaml` is invalid.
fn load_workspace(
    shown: &Shown<'_>,
    paths: &PathsArgs,
) -> anyhow::Result<Result<Workspace, Vec<manifest::Diagnostic>>> {
    let working_directory =
        std::env::current_dir().context("could not read the working directory")?;
    let loaded = ops::load_workspace(&working_directory, &paths.paths);
    match &loaded {
        Ok(workspace) => shown.diagnostics(&workspace.manifests.diagnostics),
        Err(diagnostics) => {
            shown.diagnostics(diagnostics);
            eprintln!("error: invalid project file; nothing was sent to the API");
        }
    }
    Ok(loaded)
}

/// The workspace when it and every manifest in it are valid, with the problems shown; `None`
/// when anything is invalid, so that nothing is sent to the API.
fn load_valid_workspace(shown: &Shown<'_>, paths: &PathsArgs) -> anyhow::Result<Option<Workspace>> {
    let Ok(workspace) = load_workspace(shown, paths)? else {
        return Ok(None);
    };
    if workspace.has_errors() {
        eprintln!("error: invalid manifests; nothing was sent to the API");
        return Ok(None);
    }
    Ok(Some(workspace))
}

/// The API client for this run, with the embedded emulator kept alive beside it for `--local`.
struct Connection {
    api: SdkCaseApi,
    /// Where calls go, as a saved plan records it.
    endpoint: Endpoint,
    _local: Option<local::LocalEmulator>,
}

async fn connect(global: &GlobalArgs) -> anyhow::Result<Connection> {
    let mut settings = ClientSettings {
        region: global.region.clone(),
        profile: global.profile.clone(),
        endpoint_url: global.endpoint_url.clone(),
        max_attempts: global.max_attempts,
        timeout: global.timeout,
        static_credentials: false,
    };
    let local = if global.local {
        let emulator = local::LocalEmulator::start().await?;
        settings.endpoint_url = Some(emulator.endpoint_url());
        settings.static_credentials = true;
        Some(emulator)
    } else {
        None
    };
    let api = SdkCaseApi::connect(&settings).await;
    let endpoint = Endpoint {
        endpoint: match &local {
            Some(emulator) => format!("local:{}", emulator.state_file().display()),
            None => api.endpoint().to_string(),
        },
        region: api.region().map(str::to_string),
    };
    Ok(Connection {
        api,
        endpoint,
        _local: local,
    })
}
