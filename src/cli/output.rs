//! The terminal: colour decided once, logs and progress on stderr, results on stdout.

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracing_subscriber::EnvFilter;

use super::args::{GlobalArgs, LogFormat};
use crate::live::pacing::PacingReport;

/// Dependencies that could log request or response bodies (which carry emails, IPs and case
/// text) are held below trace, and transport crates below debug, whatever the verbosity or
/// filter asked for: logs never contain sensitive values.
fn dependency_may_log(metadata: &tracing::Metadata<'_>) -> bool {
    let target = metadata.target();
    let level = *metadata.level();
    if target.starts_with("aws_") {
        return level < tracing::Level::TRACE;
    }
    let transport = ["hyper", "h2", "rustls", "tower", "axum"];
    if transport.iter().any(|prefix| target.starts_with(prefix)) {
        return level < tracing::Level::DEBUG;
    }
    true
}

/// `operator`: the default level is info, since a long-running process's rounds are its
/// output.
pub(crate) fn init_logging(global: &GlobalArgs, operator: bool) {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    // Other crates' warnings (the SDK probing instance metadata for credentials, say) are
    // noise to someone who asked for nothing: by default only sirops speaks, and `-v` lets
    // the rest in, with sirops's own account of each failed call.
    let level = if global.quiet {
        "sirops=error"
    } else {
        match global.verbose {
            0 if operator => "sirops=info",
            0 => "sirops=warn",
            1 => "warn,sirops=info",
            2 => "info,sirops=debug",
            _ => "trace",
        }
    };
    let user_filter = std::env::var("SIROPS_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .filter(|filter| !filter.trim().is_empty());
    let filter = user_filter
        .and_then(|filter| EnvFilter::try_new(filter).ok())
        .unwrap_or_else(|| EnvFilter::new(level));
    let layer = match global.log_format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(stderr_color(global))
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_writer(std::io::stderr)
            .boxed(),
    };
    let layer = layer
        .with_filter(filter)
        .with_filter(tracing_subscriber::filter::filter_fn(dependency_may_log));
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

fn color_allowed(global: &GlobalArgs) -> bool {
    !global.no_color && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}

/// Colour on stdout: never with `--no-color` or `NO_COLOR`, otherwise only on a terminal.
pub(crate) fn stdout_color(global: &GlobalArgs) -> bool {
    color_allowed(global) && std::io::stdout().is_terminal()
}

pub(crate) fn stderr_color(global: &GlobalArgs) -> bool {
    color_allowed(global) && std::io::stderr().is_terminal()
}

pub(crate) fn print_stdout(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

pub(crate) fn print_stderr(text: &str) -> std::io::Result<()> {
    let mut stderr = std::io::stderr().lock();
    stderr.write_all(text.as_bytes())?;
    stderr.flush()
}

pub(crate) use crate::plan::plural;

/// A progress counter on stderr for long runs, hidden when stderr is not a terminal or when the
/// user asked for quiet or verbose output (log lines and a bar do not mix).
pub(crate) fn progress(global: &GlobalArgs, message: &'static str) -> ProgressBar {
    let visible = std::io::stderr().is_terminal() && !global.quiet && global.verbose == 0;
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}: {pos} ({elapsed})") {
        bar.set_style(style);
    }
    bar.set_message(message);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// Keeps a progress line's message saying whether, and how, the service is throttling.
pub(crate) fn show_pacing(bar: &ProgressBar, message: &'static str, pacing: &PacingReport) {
    if bar.is_hidden() || pacing.throttled == 0 {
        return;
    }
    let slowest = pacing
        .rates
        .iter()
        .min_by(|left, right| left.1.total_cmp(right.1));
    bar.set_message(match slowest {
        Some((operation, rate)) => {
            format!("{message} (throttled: {operation} slowed to {rate:.1}/s)")
        }
        None => format!("{message} (throttled: retrying)"),
    });
}

pub(crate) fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}
