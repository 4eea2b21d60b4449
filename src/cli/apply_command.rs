//! `sirops apply`: plan (or load a saved plan and check it still fits), show it, confirm, apply
//! every case that planned cleanly, record case ids, and report every failure; with
//! `--format json` or `--report`, in the apply report too.

use std::io::{BufRead, Write};

use anyhow::bail;

use tokio::time::Instant;

use super::args::{ApplyArgs, ApplyFormat, GlobalArgs};
use super::github::{GitHub, Stream};
use super::plan_command::read_and_plan;
use super::{Connection, Outcome, Shown, connect, load_valid_workspace, output};
use crate::apply::report::{self, ReportInput, ReportTarget, RunTimes};
use crate::apply::{ApplyOptions, CaseOutcome, apply};
use crate::ci;
use crate::live::CaseApi;
use crate::model::Timestamp;
use crate::ops::apply::{audit_context, check_saved_plan_for, read_saved_plan, record_case_ids};
use crate::ops::plan::{PlanOptions, check_prune_scope};
use crate::plan::{self, Plan, Redactor, RenderOptions, plural};

pub(super) async fn run(global: &GlobalArgs, args: ApplyArgs) -> anyhow::Result<Outcome> {
    let saved = args.plan.as_deref().map(read_saved_plan).transpose()?;
    // With `--format json` stdout carries the report alone; the plan still has to be seen.
    let json = args.format == ApplyFormat::Json;
    let Some(workspace) = load_valid_workspace(&Shown::new(global, json), &args.paths)? else {
        return Ok(Outcome::Failure);
    };
    check_prune_scope(&workspace, args.prune)?;
    let Connection {
        api,
        endpoint,
        _local,
    } = connect(global).await?;
    let plan = match saved {
        Some(plan) => {
            check_saved_plan_for(&api, &workspace, &endpoint, &plan, args.parallelism.get())
                .await?;
            plan
        }
        None => read_and_plan(global, &api, &workspace, &endpoint, plan_options(&args)).await?,
    };
    if let Err(error) = show_plan(global, &plan, args.redact, json) {
        // Nobody saw the plan, so nothing may be applied; and a cut-short apply is never a
        // success, unlike a cut-short read-only command.
        eprintln!("error: could not show the plan ({error}); nothing was applied");
        return Ok(Outcome::Failure);
    }
    report_unplanned(&plan);

    if plan.has_changes() && !args.auto_approve && !confirm()? {
        eprintln!("Apply cancelled; nothing was changed.");
        return Ok(Outcome::Failure);
    }
    // The report times the apply, not the wait for a person's answer.
    let started_at = Timestamp::from_epoch_millis(jiff::Timestamp::now().as_millisecond());
    let started = Instant::now();
    let mut outcomes = Vec::new();
    if plan.has_changes() {
        outcomes = apply_with_progress(global, &api, &plan, &args).await;
    }

    let redactor = args.redact.then(|| Redactor::for_plan(&plan));
    let mut failed =
        plan.summary.errors > 0 || outcomes.iter().any(|outcome| outcome.failure().is_some());
    let mut text = if outcomes.is_empty() {
        String::new()
    } else {
        summary(&outcomes, redactor.as_ref())
    };
    let mut recorded = None;
    if args.write_back {
        let (written, failures) = record_case_ids(&workspace, &plan, &outcomes);
        for failure in &failures {
            eprintln!("error: {failure}");
        }
        if !written.is_empty() {
            text.push_str(&format!(
                "Recorded {} in the manifests (metadata.caseId).\n",
                plural(written.len(), "case id")
            ));
        }
        failed |= !failures.is_empty();
        recorded = Some(written);
    }
    if let Some(line) = api.pacing().describe() {
        text.push_str(&format!("Note: {line}.\n"));
    }
    let times = RunTimes {
        started_at,
        started,
        duration: started.elapsed(),
    };
    let report = (json || args.report.is_some()).then(|| {
        let target = ReportTarget {
            endpoint: endpoint.endpoint.clone(),
            region: endpoint.region.clone(),
        };
        report::render_json(&report::build_report(&ReportInput {
            plan: &plan,
            outcomes: &outcomes,
            target: &target,
            times,
            redactor: redactor.as_ref(),
            recorded: recorded.as_deref(),
        }))
    });
    failed |= !deliver(&args, &text, report.as_deref());
    tell_github(global, &args, &plan, &outcomes, &text)?;
    Ok(if failed {
        Outcome::Failure
    } else {
        Outcome::Success
    })
}

/// The step summary (always redacted) and outputs of the apply, where GitHub reads them.
fn tell_github(
    global: &GlobalArgs,
    args: &ApplyArgs,
    plan: &Plan,
    outcomes: &[CaseOutcome],
    text: &str,
) -> anyhow::Result<()> {
    let github = GitHub::from_global(global);
    github.append_step_summary(&|| {
        let redactor = Redactor::for_plan(plan);
        ci::github::apply_summary(
            &redactor.text(text),
            &plan::render_markdown(&plan::redact(plan)),
        )
    })?;
    let shown_path = |path: &std::path::Path| path.display().to_string();
    let plan_file = args.plan.as_deref().map(shown_path);
    let report_file = args.report.as_deref().map(shown_path);
    let mut outputs = ci::github::plan_outputs(plan, plan_file.as_deref());
    outputs.extend(ci::github::apply_outputs(outcomes, report_file.as_deref()));
    github.write_outputs(&outputs)
}

/// Writes the report to `--report`'s file and prints the summary and, with `--format json`,
/// the report. False when the file could not be written.
fn deliver(args: &ApplyArgs, text: &str, report: Option<&str>) -> bool {
    let mut written = true;
    if let (Some(path), Some(report)) = (&args.report, report)
        && let Err(error) = crate::paths::write_atomically(path, report.as_bytes())
    {
        eprintln!(
            "error: could not write the apply report to {}: {error}",
            path.display()
        );
        written = false;
    }
    // The apply is done: a reader that went away changes nothing about its outcome.
    match report.filter(|_| args.format == ApplyFormat::Json) {
        Some(report) => {
            let _ = output::print_stderr(text);
            let _ = output::print_stdout(report);
        }
        None => {
            let _ = output::print_stdout(text);
        }
    }
    written
}

fn plan_options(args: &ApplyArgs) -> PlanOptions {
    PlanOptions {
        parallelism: args.parallelism.get(),
        prune: args.prune,
        max_prune: args.max_prune,
        base: args.base.clone(),
        drift_only: args.drift,
    }
}

/// Shows the plan on stdout, or on stderr when stdout is for the report.
fn show_plan(
    global: &GlobalArgs,
    plan: &Plan,
    redact: bool,
    on_stderr: bool,
) -> std::io::Result<()> {
    let shown = if redact {
        plan::redact(plan)
    } else {
        plan.clone()
    };
    let color = if on_stderr {
        output::stderr_color(global)
    } else {
        output::stdout_color(global)
    };
    let text = plan::render_text(&shown, &RenderOptions { color });
    let github = GitHub::from_global(global);
    if on_stderr {
        output::print_stderr(&github.guard_log(&text, Stream::Stderr))
    } else {
        output::print_stdout(&github.guard_log(&text, Stream::Stdout))
    }
}

fn report_unplanned(plan: &Plan) {
    let unplanned = plan.summary.errors;
    if unplanned > 0 {
        eprintln!(
            "error: {} could not be planned (above); {}",
            plural(unplanned, "case"),
            if plan.has_changes() {
                "applying the others"
            } else {
                "nothing else to apply"
            }
        );
    }
}

async fn apply_with_progress<A: CaseApi>(
    global: &GlobalArgs,
    api: &A,
    plan: &Plan,
    args: &ApplyArgs,
) -> Vec<CaseOutcome> {
    const APPLYING: &str = "applying cases";
    let progress = output::progress(global, APPLYING);
    let on_case_done = |_: &CaseOutcome| {
        progress.inc(1);
        output::show_pacing(&progress, APPLYING, &api.pacing());
    };
    let options = ApplyOptions {
        parallelism: args.parallelism.get(),
        audit: args.comment.then(audit_context),
    };
    let outcomes = apply(api, plan, &options, &on_case_done).await;
    progress.finish_and_clear();
    outcomes
}

fn confirm() -> anyhow::Result<bool> {
    if !output::stdin_is_terminal() {
        bail!(
            "refusing to apply without confirmation: there is no terminal to ask on; review the plan and pass --auto-approve"
        );
    }
    let mut stderr = std::io::stderr();
    write!(
        stderr,
        "\nDo you want to apply these changes? Only 'yes' will be accepted: "
    )?;
    stderr.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}

/// What apply did, case by case where it matters. With `--redact`, messages (which may quote
/// values the service echoed) get the plan's placeholders.
fn summary(outcomes: &[CaseOutcome], redactor: Option<&Redactor>) -> String {
    let shown = |text: &str| Redactor::text_with(redactor, text);
    let failures: Vec<&CaseOutcome> = outcomes
        .iter()
        .filter(|outcome| outcome.failure().is_some())
        .collect();
    let changed = outcomes.len() - failures.len();
    let mut text = format!(
        "\nApply complete: {} changed, {} failed.\n",
        plural(changed, "case"),
        failures.len()
    );
    for outcome in &failures {
        if let Some(error) = outcome.failure() {
            let completed = outcome.completed();
            let done = if completed.is_empty() {
                String::from("nothing was changed")
            } else {
                format!("done before the failure: {}", completed.join(", "))
            };
            text.push_str(&format!(
                "  {}: {} ({done})\n",
                outcome.name,
                shown(&error.to_string())
            ));
        }
    }
    if !failures.is_empty() {
        text.push_str("Run apply again to finish: it plans only what is still missing.\n");
    }
    for outcome in outcomes {
        for warning in &outcome.warnings {
            text.push_str(&format!(
                "  warning: {}: {}\n",
                outcome.name,
                shown(warning)
            ));
        }
    }
    for outcome in outcomes.iter().filter(|outcome| outcome.created) {
        if let Some(case_id) = &outcome.case_id {
            text.push_str(&format!("  created {}: case {case_id}\n", outcome.name));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::apply::{RequestRecord, RequestResult};
    use crate::live::{ApiError, ApiErrorKind};
    use crate::plan::fixtures;

    fn failed_outcome(message: &str) -> CaseOutcome {
        CaseOutcome {
            name: "payroll-phishing".into(),
            case_id: Some("1234567890".into()),
            created: false,
            requests: vec![RequestRecord {
                operation: "UpdateCase",
                result: RequestResult::Failed(ApiError {
                    operation: "UpdateCase",
                    kind: ApiErrorKind::Validation,
                    message: message.into(),
                }),
                started: Some(Instant::now()),
                duration: Duration::from_millis(20),
                throttled_retries: 0,
            }],
            duration: Duration::from_millis(20),
            warnings: vec![format!("the audit comment was not posted: {message}")],
        }
    }

    #[test]
    fn the_summary_is_redacted_like_the_plan() {
        let plan = fixtures::sample_plan();
        let redactor = Redactor::for_plan(&plan);
        let outcomes = [failed_outcome("watcher bob@example.com was refused")];
        let redacted = summary(&outcomes, Some(&redactor));
        assert!(!redacted.contains("bob@example.com"), "{redacted}");
        assert!(redacted.contains("<email-"), "{redacted}");
        assert_eq!(
            redacted.matches("<email-").count(),
            2,
            "failure and warning"
        );
        let plain = summary(&outcomes, None);
        assert!(plain.contains("bob@example.com"));
        assert!(plain.contains("0 cases changed, 1 failed"), "{plain}");
    }
}
