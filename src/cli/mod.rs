//! The command-line edge: turns arguments into work on the pure core and the live API, prints
//! results to stdout and progress and logs to stderr, and maps outcomes to exit codes.

mod apply_command;
mod args;
mod import_command;
mod local;
mod output;
mod plan_command;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, Parser};

pub use args::Cli;
use args::{Command, GlobalArgs};

use crate::live::aws::{ClientSettings, SdkCaseApi};
use crate::manifest::{self, Manifests};

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
    let cli = Cli::parse();
    output::init_logging(&cli.global);
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")
        .and_then(|runtime| runtime.block_on(run(cli)));
    match result {
        Ok(outcome) => outcome.into(),
        Err(error) => {
            if is_broken_pipe(&error) {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(std::io::stderr(), "error: {error:#}");
            ExitCode::from(1)
        }
    }
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
        Command::Validate(args) => Ok(validate(&args.paths)),
        Command::Plan(args) => plan_command::run(&global, args).await,
        Command::Apply(args) => apply_command::run(&global, args).await,
        Command::Import(args) => import_command::run(&global, args).await,
        Command::Schema => {
            let schema = serde_json::to_string_pretty(&manifest::json_schema())?;
            output::print_stdout(&format!("{schema}\n"))?;
            Ok(Outcome::Success)
        }
        Command::Emulator(args) => {
            crate::emulator::run(crate::emulator::EmulatorConfig {
                listen: args.listen,
                state_file: args.state,
                latency: std::time::Duration::from_millis(args.latency_ms),
                fault_rate: args.fault_rate,
                seed: args.seed,
            })
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

fn validate(paths: &[PathBuf]) -> Outcome {
    let manifests = manifest::load(paths);
    output::print_diagnostics(&manifests);
    if manifests.has_errors() {
        Outcome::Failure
    } else {
        let _ = output::print_stdout(&format!(
            "{} manifest{} valid.\n",
            manifests.manifests.len(),
            if manifests.manifests.len() == 1 {
                ""
            } else {
                "s"
            }
        ));
        Outcome::Success
    }
}

/// Loads manifests and prints their diagnostics; `None` when any is invalid, so that nothing
/// is sent to the API.
fn load_valid_manifests(paths: &[PathBuf]) -> Option<Manifests> {
    let manifests = manifest::load(paths);
    output::print_diagnostics(&manifests);
    if manifests.has_errors() {
        eprintln!("error: invalid manifests; nothing was sent to the API");
        None
    } else {
        Some(manifests)
    }
}

/// The API client for this run, with the embedded emulator kept alive beside it for `--local`.
struct Connection {
    api: SdkCaseApi,
    _local: Option<local::LocalEmulator>,
}

async fn connect(global: &GlobalArgs) -> anyhow::Result<Connection> {
    let mut settings = ClientSettings {
        region: global.region.clone(),
        profile: global.profile.clone(),
        endpoint_url: global.endpoint_url.clone(),
        max_attempts: global.max_attempts,
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
    Ok(Connection {
        api: SdkCaseApi::connect(&settings).await,
        _local: local,
    })
}
