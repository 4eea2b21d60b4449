//! `sirops reconcile`: the operator's edge. Connects once, serves health and metrics, starts
//! the notifiers, turns SIGTERM and SIGINT into a stop, and maps `--once` to plan's exit codes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;

use super::args::{GlobalArgs, NotifyFormat, ReconcileArgs};
use super::{Connection, Outcome, connect};
use crate::operator::metrics::Metrics;
use crate::operator::notify::{FormatChoice, Notifier, Target};
use crate::operator::server::{Health, Shared, serve};
use crate::operator::{ReconcileOptions, RoundReport, reconcile};
use crate::ops::plan::PlanOptions;

/// How long queued notifications get to go out once sirops is stopping: with the calls in
/// flight, the whole stop stays within the ten seconds a container platform usually grants.
const NOTIFY_GRACE: Duration = Duration::from_secs(3);

pub(super) async fn run(global: &GlobalArgs, args: ReconcileArgs) -> anyhow::Result<Outcome> {
    let choice = match args.notify_format {
        NotifyFormat::Auto => FormatChoice::Auto,
        NotifyFormat::Json => FormatChoice::Json,
        NotifyFormat::Slack => FormatChoice::Slack,
    };
    let targets = args
        .notify
        .iter()
        .map(|url| Target::parse(url, choice))
        .collect::<Result<Vec<_>, String>>()
        .map_err(anyhow::Error::msg)?;
    let options = ReconcileOptions {
        working_directory: match &args.directory {
            Some(directory) => directory.clone(),
            None => std::env::current_dir().context("could not read the working directory")?,
        },
        enter_each_round: args.directory.is_some(),
        paths: args.paths.paths.clone(),
        interval: args.interval,
        once: args.once,
        git_pull: args.git_pull,
        self_heal: args.self_heal,
        plan: PlanOptions {
            parallelism: args.parallelism.get(),
            prune: args.prune,
            max_prune: args.max_prune,
            base: None,
            drift_only: false,
        },
        redact: !args.notify_unredacted,
        notify_repeat: args.notify_repeat,
        state_file: args
            .state_file
            .as_deref()
            .map(std::path::absolute)
            .transpose()
            .context("could not resolve --state-file")?,
    };
    let Connection {
        api,
        endpoint,
        _local,
    } = connect(global).await?;
    let metrics = Metrics::new();
    let notifier =
        Notifier::start(targets, metrics.notifications.clone()).map_err(anyhow::Error::msg)?;
    let shared = Arc::new(Shared {
        health: Health::new(args.interval),
        metrics: Mutex::new(metrics),
    });
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(stop_on_signal(stop.clone()));
    let server = match args.listen {
        Some(address) => {
            let mut server_stopped = stopped.clone();
            let (bound, task) = serve(address, shared.clone(), async move {
                let _ = server_stopped.wait_for(|stop| *stop).await;
            })
            .await
            .with_context(|| format!("could not listen on {address}"))?;
            tracing::info!(address = %bound, "serving /healthz, /readyz and /metrics");
            Some(task)
        }
        None => None,
    };
    let last = reconcile(&api, &endpoint, &options, &shared, &notifier, stopped).await;
    let _ = stop.send(true);
    notifier.finish(NOTIFY_GRACE).await;
    if let Some(task) = server {
        let _ = tokio::time::timeout(Duration::from_secs(1), task).await;
    }
    Ok(match (args.once, last) {
        (true, Some(report)) => once_outcome(&report, args.detailed_exitcode),
        // Stopped before the one round finished: it did not do what was asked.
        (true, None) => Outcome::Failure,
        (false, _) => {
            tracing::info!("stopped");
            Outcome::Success
        }
    })
}

fn once_outcome(report: &RoundReport, detailed_exitcode: bool) -> Outcome {
    if report.global_error.is_some() || report.failed_cases > 0 {
        Outcome::Failure
    } else if detailed_exitcode && report.changes_left {
        Outcome::ChangesPresent
    } else {
        Outcome::Success
    }
}

/// Turns the first SIGTERM or SIGINT into a stop.
async fn stop_on_signal(stop: watch::Sender<bool>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut terminate) = signal(SignalKind::terminate()) else {
            tracing::warn!("SIGTERM cannot be caught; only SIGINT stops reconcile cleanly");
            let _ = tokio::signal::ctrl_c().await;
            let _ = stop.send(true);
            return;
        };
        tokio::select! {
            _ = terminate.recv() => tracing::info!("SIGTERM: stopping"),
            _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: stopping"),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("interrupted: stopping");
    }
    let _ = stop.send(true);
}
