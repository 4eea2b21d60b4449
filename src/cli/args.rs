//! The command line as clap sees it: flags only, no I/O. `cli::run` turns these into work.

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "sirops",
    version,
    about = "Keep AWS Security Incident Response cases in git: plan and apply YAML manifests.",
    long_about = None,
    after_help = "Start here:\n  sirops plan --local                  plan the example cases against an embedded emulator\n  sirops apply --local --auto-approve  create them\n\nExit codes: 0 success (no changes with --detailed-exitcode), 1 error (usage errors included), 2 changes present (--detailed-exitcode)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Use an embedded emulator with its state in .sirops/local-state.json instead of AWS.
    #[arg(long, global = true, conflicts_with = "endpoint_url")]
    pub local: bool,
    /// Send API calls to this endpoint (otherwise AWS_ENDPOINT_URL_SECURITY_IR or AWS).
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// AWS region (otherwise from the environment or profile).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// AWS shared-config profile.
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Attempts per API call for faults (5xx, dropped connections), first try included.
    /// Throttled calls are not counted: they are slowed to the quota and retried while the
    /// service makes progress, until --timeout.
    #[arg(long, global = true, value_name = "N", env = "SIROPS_MAX_ATTEMPTS")]
    pub max_attempts: Option<u32>,
    /// How long throttled calls are retried for, from the start of the run: seconds, or a
    /// number with s, m or h [default: 1h].
    #[arg(long, global = true, value_name = "DURATION", env = "SIROPS_TIMEOUT", value_parser = crate::live::pacing::parse_timeout)]
    pub timeout: Option<std::time::Duration>,
    /// More log output on stderr (-v info, -vv debug, -vvv trace). SIROPS_LOG or RUST_LOG
    /// filters take precedence.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// No colour (also when NO_COLOR is set or output is not a terminal).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Logs on stderr as text for people, or as one JSON object per line for collectors.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "SIROPS_LOG_FORMAT")]
    pub log_format: LogFormat,
    /// Also print manifest problems as CI annotations on the diff: GitHub workflow commands
    /// [default: github when GITHUB_ACTIONS=true, else none].
    #[arg(long, global = true, value_enum, value_name = "KIND")]
    pub annotations: Option<Annotations>,
    /// Append plan and apply summaries (Markdown, always redacted) to this file
    /// [default: $GITHUB_STEP_SUMMARY when GITHUB_ACTIONS=true].
    #[arg(long, global = true, value_name = "FILE")]
    pub step_summary: Option<PathBuf>,
    /// Write plan and apply results as GitHub step outputs (has-changes, counts...) to this
    /// file [default: $GITHUB_OUTPUT when GITHUB_ACTIONS=true].
    #[arg(long, global = true, value_name = "FILE")]
    pub github_output: Option<PathBuf>,
}

/// Annotations for a CI system, beside the usual messages on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Annotations {
    None,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

// Each command's help and examples are written out in full, alike in shape: clap reads them
// as attributes, and one place per command is where a reader looks for them.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and check manifests offline; exit 0 when valid, 1 when not.
    #[command(
        after_help = "Examples:\n  sirops validate cases/\n  sirops validate --format gitlab > gl-code-quality-report.json"
    )]
    Validate(ValidateArgs),
    /// Read live cases and show what apply would change.
    #[command(
        after_help = "Examples:\n  sirops plan --local\n  sirops plan cases/ --format markdown --redact > plan.md\n  sirops plan --out plan.json --detailed-exitcode"
    )]
    Plan(PlanArgs),
    /// Show each case's live status and whether AWS waits on you, from ListCases alone.
    #[command(
        after_help = "Examples:\n  sirops status --local\n  sirops status --all --format json\n\nA row marked ! is a case AWS waits on you for (pendingAction Customer)."
    )]
    Status(StatusArgs),
    /// Make the live cases match the manifests.
    #[command(
        after_help = "Examples:\n  sirops apply --local --auto-approve\n  sirops apply --auto-approve --write-back\n  sirops apply --plan plan.json --auto-approve"
    )]
    Apply(ApplyArgs),
    /// Accept edits made on live cases outside git into the manifests: rewrite each drifted
    /// field to its live value, in place; conflicts are listed, not rewritten.
    #[command(
        after_help = "Examples:\n  sirops refresh --dry-run\n  sirops refresh cases/payroll.yaml"
    )]
    Refresh(RefreshArgs),
    /// Keep the live cases in sync continuously: plan every interval, notify on changes of
    /// state, serve health and metrics, and with --self-heal apply.
    #[command(
        after_help = "Examples:\n  sirops reconcile --interval 5m --listen 0.0.0.0:9090 --notify https://hooks.slack.com/services/T/B/X\n  sirops reconcile --self-heal --git-pull --log-format json\n  sirops reconcile --once --detailed-exitcode   # from cron\n\nExit codes with --once: those of plan (0, 1, and 2 with --detailed-exitcode when changes are left). Without --once it runs until SIGTERM or SIGINT and exits 0."
    )]
    Reconcile(ReconcileArgs),
    /// Write manifests for existing cases, bound by metadata.caseId.
    #[command(after_help = "Example:\n  sirops import 1234567890 --out-dir cases/")]
    Import(ImportArgs),
    /// Print the manifest JSON Schema (or, with --project, the schema of sirops.yaml; with
    /// --apply-report, the schema of apply's JSON report).
    #[command(
        after_help = "Examples:\n  sirops schema > schemas/case.schema.json\n  sirops schema --project > schemas/sirops.schema.json\n  sirops schema --apply-report > schemas/apply-report.schema.json"
    )]
    Schema(SchemaArgs),
    /// Run the local Security IR emulator.
    #[command(
        after_help = "Example:\n  sirops emulator --listen 127.0.0.1:4566 --state /tmp/ir.json\n  AWS_ENDPOINT_URL_SECURITY_IR=http://127.0.0.1:4566 sirops plan"
    )]
    Emulator(EmulatorArgs),
    /// Print a shell completion script.
    #[command(after_help = "Example:\n  sirops completions bash > /etc/bash_completion.d/sirops")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct PathsArgs {
    /// Manifest files or directories (every *.yaml and *.yml below them); the project's
    /// manifest root (sirops.yaml `manifests:`, else cases/) when none is given.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub paths: PathsArgs,
    /// Problems as text on stderr, or also as a GitLab Code Quality report (JSON) on stdout.
    #[arg(long, value_enum, default_value_t = ValidateFormat::Text)]
    pub format: ValidateFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValidateFormat {
    Text,
    Gitlab,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The schema of the project file sirops.yaml instead of a case manifest's.
    #[arg(long)]
    pub project: bool,
    /// The schema of the report `apply --format json` prints (and `apply --report` writes).
    #[arg(long, conflicts_with = "project")]
    pub apply_report: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
    /// The `{create, update, delete}` counts GitLab's merge-request widget reads.
    GitlabMr,
}

impl Format {
    /// Whether stdout carries a document (JSON, Markdown, a report) that a file or program
    /// receives whole, so nothing else may be mixed into it.
    pub fn is_document(self) -> bool {
        !matches!(self, Format::Text)
    }
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub paths: PathsArgs,
    /// Text for people, JSON (documented in docs/reference.md, "Plan JSON"), Markdown for a
    /// pull request, or gitlab-mr for GitLab's merge-request widget.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also save the plan (JSON, not redacted) for `apply --plan`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 2 when there are changes, 0 when there are none.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Also plan to close owned cases of this scope whose manifest no longer exists (needs
    /// the whole manifest root).
    #[arg(long)]
    pub prune: bool,
    /// The most cases --prune may close.
    #[arg(long, value_name = "N", default_value_t = crate::ops::plan::DEFAULT_MAX_PRUNE)]
    pub max_prune: usize,
    /// Mask values the API marks sensitive (emails, IPs, names, titles, descriptions).
    #[arg(long)]
    pub redact: bool,
    /// How many API reads run at once (at least 1).
    #[arg(long, value_name = "N", default_value = "16")]
    pub parallelism: NonZeroUsize,
    /// Only the cases whose live state moved away from the manifest last applied (edits made
    /// outside git); with --detailed-exitcode, exit 2 only for those, never for a pending git
    /// change.
    #[arg(long)]
    pub drift: bool,
    /// Tell git's changes from edits made outside git against this git revision (a PR plan
    /// uses its target branch) instead of the revision each case was last applied at.
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
}

/// The formats of `status`: a table for people, JSON for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub paths: PathsArgs,
    /// A table, or JSON for scripts (documented in docs/reference.md, "Status").
    #[arg(long, value_enum, default_value_t = StatusFormat::Text)]
    pub format: StatusFormat,
    /// Also list every other case of the account and region, as unmanaged.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    #[command(flatten)]
    pub paths: PathsArgs,
    /// Time between the starts of two rounds (seconds, or with s, m or h), with up to a
    /// tenth of jitter either way.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = crate::live::pacing::parse_timeout)]
    pub interval: std::time::Duration,
    /// One round, then exit with plan's exit codes (for cron).
    #[arg(long)]
    pub once: bool,
    /// With --once: exit 2 when changes are left after the round.
    #[arg(long, requires = "once")]
    pub detailed_exitcode: bool,
    /// Before each round, fast-forward the git work tree of the manifests (`git pull --ff-only`).
    #[arg(long)]
    pub git_pull: bool,
    /// Enter this directory at the start of every round, following it anew: a path whose
    /// symlink is moved to each new checkout (git-sync's --link) is read at its latest.
    #[arg(long, short = 'C', value_name = "DIR")]
    pub directory: Option<PathBuf>,
    /// Apply each round's plan: revert drift and apply pending changes. Expected drift
    /// (ignoreDrift, metadata.ignore) is left alone.
    #[arg(long)]
    pub self_heal: bool,
    /// Also close owned cases of this scope whose manifest no longer exists (needs the whole
    /// manifest root; applied only with --self-heal).
    #[arg(long)]
    pub prune: bool,
    /// The most cases --prune may close in one round.
    #[arg(long, value_name = "N", default_value_t = crate::ops::plan::DEFAULT_MAX_PRUNE)]
    pub max_prune: usize,
    /// Serve /healthz, /readyz and /metrics (Prometheus) on this address (off by default).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// POST a JSON event to this URL on every change of state (repeatable).
    #[arg(long, value_name = "URL")]
    pub notify: Vec<String>,
    /// The payload: sirops's JSON, Slack's, or chosen by the URL (Slack's for hooks.slack.com).
    #[arg(long, value_enum, default_value_t = NotifyFormat::Auto)]
    pub notify_format: NotifyFormat,
    /// Remind of a problem that lasts this long, and again each time it lasts as long again.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = crate::live::pacing::parse_timeout)]
    pub notify_repeat: std::time::Duration,
    /// Leave email and IP addresses in notifications (they are scrubbed by default).
    #[arg(long)]
    pub notify_unredacted: bool,
    /// Keep the open problems in this file between runs, so that a restart, or the next
    /// --once run from cron, notifies only what changed.
    #[arg(long, value_name = "FILE")]
    pub state_file: Option<PathBuf>,
    /// How many API calls run at once (at least 1).
    #[arg(long, value_name = "N", default_value = "16")]
    pub parallelism: NonZeroUsize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NotifyFormat {
    Auto,
    Json,
    Slack,
}

#[derive(Debug, Args)]
pub struct RefreshArgs {
    #[command(flatten)]
    pub paths: PathsArgs,
    /// Print the changes to the manifests without writing them.
    #[arg(long)]
    pub dry_run: bool,
    /// Tell drift from git changes against this git revision instead of the revision each
    /// case was last applied at.
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// How many API reads run at once (at least 1).
    #[arg(long, value_name = "N", default_value = "16")]
    pub parallelism: NonZeroUsize,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub paths: PathsArgs,
    /// Apply without asking (required when there is no terminal).
    #[arg(long)]
    pub auto_approve: bool,
    /// How many cases are worked on at once (at least 1).
    #[arg(long, value_name = "N", default_value = "16")]
    pub parallelism: NonZeroUsize,
    /// Close owned cases of this scope whose manifest no longer exists (needs the whole
    /// manifest root).
    #[arg(long)]
    pub prune: bool,
    /// The most cases --prune may close.
    #[arg(long, value_name = "N", default_value_t = crate::ops::plan::DEFAULT_MAX_PRUNE)]
    pub max_prune: usize,
    /// Record in each manifest without metadata.caseId the id of its case (created now or
    /// found by its tag).
    #[arg(long)]
    pub write_back: bool,
    /// Apply a plan saved with `plan --out`, if it was made here, from these manifests, and no
    /// case it touches changed since.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["prune", "write_back", "max_prune"])]
    pub plan: Option<PathBuf>,
    /// Add a comment to each changed case saying what sirops changed and from which commit.
    #[arg(long)]
    pub comment: bool,
    /// Mask sensitive values in the plan shown before applying.
    #[arg(long)]
    pub redact: bool,
    /// Repair only the edits made outside git (drift and conflicts); pending git changes wait
    /// for a full apply, and no case is created or pruned.
    #[arg(long, conflicts_with_all = ["plan", "prune"])]
    pub drift: bool,
    /// Tell git's changes from edits made outside git against this git revision.
    #[arg(long, value_name = "REF", conflicts_with = "plan")]
    pub base: Option<String>,
    /// The plan and a summary for people, or the apply report (JSON, documented in
    /// docs/reference.md, "Apply report") alone on stdout, the plan and summary on stderr.
    #[arg(long, value_enum, default_value_t = ApplyFormat::Text)]
    pub format: ApplyFormat,
    /// Also write the apply report (JSON) to this file, whatever the format.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

/// The formats of `apply`'s stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApplyFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Ids of existing cases.
    #[arg(value_name = "CASE_ID", required = true)]
    pub case_ids: Vec<String>,
    #[arg(long, value_name = "DIR", default_value = "cases")]
    pub out_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct EmulatorArgs {
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4566")]
    pub listen: SocketAddr,
    /// Persist every change to this file (atomically) and load it at start.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Delay every request by this many milliseconds.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub latency_ms: u64,
    /// Fraction of requests (0..1) that fail: throttling, 500s, dropped connections, lost responses.
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub fault_rate: f64,
    /// Seed for reproducible faults.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// The account of every case ARN (12 digits).
    #[arg(long, value_name = "ID", default_value = crate::emulator::DEFAULT_ACCOUNT_ID, value_parser = parse_account)]
    pub account: String,
    /// Requests per second allowed per operation (token bucket with burst N); `Operation=N`
    /// for one operation. Repeatable, e.g. `--rate-limit 10 --rate-limit GetCase=25`.
    #[arg(long, value_name = "[OPERATION=]N")]
    pub rate_limit: Vec<crate::emulator::RateLimitSpec>,
    /// The account has no Security IR membership: every case operation is refused.
    #[arg(long)]
    pub not_active: bool,
    /// AWS responders acknowledge a new AWS-supported case after this many seconds.
    #[arg(long, value_name = "SECS")]
    pub aws_responder_delay: Option<f64>,
}

fn parse_account(value: &str) -> Result<String, String> {
    if value.len() == 12 && value.bytes().all(|byte| byte.is_ascii_digit()) {
        Ok(value.to_string())
    } else {
        Err("an account id is 12 digits, e.g. 123456789012".into())
    }
}
