//! `sirops apply`: plan (or load a saved plan and check it is still current), confirm, apply,
//! record new case ids, and report every failure.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};

use super::args::{ApplyArgs, GlobalArgs};
use super::plan_command::{make_plan, refuse_empty_prune, write_file_atomically};
use super::{Connection, Outcome, connect, load_valid_manifests, output};
use crate::apply::{ApplyOptions, AuditContext, CaseOutcome, apply};
use crate::live::{ApiError, CaseApi};
use crate::manifest::{self, Manifests};
use crate::model::OWNERSHIP_TAG_KEY;
use crate::plan::{self, Action, Plan, RenderOptions};
use crate::request::Request;

pub(super) async fn run(global: &GlobalArgs, args: ApplyArgs) -> anyhow::Result<Outcome> {
    let (plan, manifests, Connection { api, _local }) = match &args.plan {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("could not read the saved plan {}", path.display()))?;
            let plan = plan::parse_json(&text)
                .with_context(|| format!("{} is not a sirops plan", path.display()))?;
            let connection = connect(global).await?;
            let drifted = drifted_cases(&connection.api, &plan).await?;
            if !drifted.is_empty() {
                let mut message = String::from(
                    "the saved plan is stale: these cases changed since it was made, so nothing was applied; run `sirops plan` again:",
                );
                for (name, reason) in drifted {
                    message.push_str(&format!("\n  - {name}: {reason}"));
                }
                bail!(message);
            }
            (plan, None, connection)
        }
        None => {
            let Some(manifests) = load_valid_manifests(&args.paths.paths) else {
                return Ok(Outcome::Failure);
            };
            refuse_empty_prune(args.prune, &manifests)?;
            let connection = connect(global).await?;
            let plan = make_plan(
                global,
                &connection.api,
                &manifests,
                args.prune,
                args.parallelism,
            )
            .await?;
            (plan, Some(manifests), connection)
        }
    };

    let shown = if args.redact {
        plan::redact(&plan)
    } else {
        plan.clone()
    };
    output::print_stdout(&plan::render_text(
        &shown,
        &RenderOptions {
            color: output::stdout_color(global),
        },
    ))?;
    if plan.has_errors() {
        eprintln!("error: the plan has errors (above); nothing was applied");
        return Ok(Outcome::Failure);
    }
    if !plan.has_changes() {
        return Ok(Outcome::Success);
    }
    if !args.auto_approve && !confirm()? {
        eprintln!("Apply cancelled; nothing was changed.");
        return Ok(Outcome::Failure);
    }

    let progress = output::progress(global, "applying cases");
    let on_case_done = |_: &CaseOutcome| progress.inc(1);
    let options = ApplyOptions {
        parallelism: args.parallelism,
        audit: args.comment.then(audit_context),
    };
    let outcomes = apply(&api, &plan, &options, &on_case_done).await;
    progress.finish_and_clear();

    let mut failed = outcomes.iter().any(|outcome| outcome.failure.is_some());
    if args.write_back
        && let Some(manifests) = &manifests
        && let Err(error) = write_back(manifests, &outcomes)
    {
        eprintln!("error: {error:#}");
        failed = true;
    }
    output::print_stdout(&summary(&outcomes))?;
    Ok(if failed {
        Outcome::Failure
    } else {
        Outcome::Success
    })
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

fn summary(outcomes: &[CaseOutcome]) -> String {
    let failures: Vec<&CaseOutcome> = outcomes
        .iter()
        .filter(|outcome| outcome.failure.is_some())
        .collect();
    let mut text = format!(
        "\nApply complete: {} case{} changed, {} failed.\n",
        outcomes.len() - failures.len(),
        if outcomes.len() - failures.len() == 1 {
            ""
        } else {
            "s"
        },
        failures.len()
    );
    for outcome in &failures {
        if let Some(error) = &outcome.failure {
            let done = if outcome.completed.is_empty() {
                String::from("nothing was changed")
            } else {
                format!("done before the failure: {}", outcome.completed.join(", "))
            };
            text.push_str(&format!("  {}: {error} ({done})\n", outcome.name));
        }
    }
    if !failures.is_empty() {
        text.push_str("Run apply again to finish: it plans only what is still missing.\n");
    }
    for outcome in outcomes.iter().filter(|outcome| outcome.created) {
        if let Some(case_id) = &outcome.case_id {
            text.push_str(&format!("  created {}: case {case_id}\n", outcome.name));
        }
    }
    text
}

fn audit_context() -> AuditContext {
    let from_env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|output| output.status.success())
            .and_then(|output| String::from_utf8(output.stdout).ok())
            .map(|text| text.trim().to_string())
            .filter(|text| !text.is_empty())
    };
    AuditContext {
        commit: from_env("GITHUB_SHA")
            .or_else(|| from_env("CI_COMMIT_SHA"))
            .or_else(|| git(&["rev-parse", "HEAD"])),
        author: from_env("GITHUB_ACTOR")
            .or_else(|| from_env("GITLAB_USER_LOGIN"))
            .or_else(|| git(&["log", "-1", "--format=%an"])),
    }
}

/// Records each created case's id in its manifest file, one line per manifest.
fn write_back(manifests: &Manifests, outcomes: &[CaseOutcome]) -> anyhow::Result<()> {
    let files: BTreeMap<&str, &PathBuf> = manifests
        .manifests
        .iter()
        .map(|loaded| (loaded.desired.name.as_str(), &loaded.file))
        .collect();
    for outcome in outcomes.iter().filter(|outcome| outcome.created) {
        let (Some(case_id), Some(file)) = (&outcome.case_id, files.get(outcome.name.as_str()))
        else {
            continue;
        };
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("could not read {} to record its case id", file.display()))?;
        let updated =
            manifest::write_back_case_id(&text, &outcome.name, case_id).map_err(|error| {
                anyhow::anyhow!(
                    "could not record case {case_id} in {}: {error}",
                    file.display()
                )
            })?;
        let permissions = std::fs::metadata(file)?.permissions();
        write_file_atomically(file, updated.as_bytes())
            .with_context(|| format!("could not write {}", file.display()))?;
        std::fs::set_permissions(file, permissions)?;
    }
    Ok(())
}

/// The cases of a saved plan whose live state is no longer what the plan was made against.
async fn drifted_cases<A: CaseApi>(
    api: &A,
    plan: &Plan,
) -> Result<Vec<(String, String)>, ApiError> {
    let mut drifted = Vec::new();
    let mut owners: Option<BTreeMap<String, String>> = None;
    for case in plan.cases.iter().filter(|case| !case.requests.is_empty()) {
        if case.action == Action::Error {
            continue;
        }
        match (&case.case_id, case.requests.first()) {
            (None, Some(Request::CreateCase(_))) => {
                if owners.is_none() {
                    owners = Some(owned_case_ids(api).await?);
                }
                if let Some(case_id) = owners.as_ref().and_then(|owners| owners.get(&case.name)) {
                    drifted.push((
                        case.name.clone(),
                        format!("case {case_id} was created for it since the plan was made"),
                    ));
                }
            }
            (Some(case_id), _) => {
                let Some(live) = api.get_case(case_id).await? else {
                    drifted.push((
                        case.name.clone(),
                        format!("case {case_id} no longer exists"),
                    ));
                    continue;
                };
                let expected = case.live_fingerprint.as_deref();
                if expected == Some(live.fingerprint().as_str()) {
                    continue;
                }
                let tags = api.list_tags(&live.case_arn).await?;
                let with_tags = crate::model::LiveCase {
                    tags: Some(tags),
                    ..live
                };
                if expected != Some(with_tags.fingerprint().as_str()) {
                    drifted.push((
                        case.name.clone(),
                        format!("case {case_id} changed since the plan was made"),
                    ));
                }
            }
            (None, _) => drifted.push((
                case.name.clone(),
                "the plan names no case id for it".to_string(),
            )),
        }
    }
    Ok(drifted)
}

async fn owned_case_ids<A: CaseApi>(api: &A) -> Result<BTreeMap<String, String>, ApiError> {
    let mut owners = BTreeMap::new();
    for summary in api.list_cases().await? {
        let tags = api.list_tags(&summary.case_arn).await?;
        if let Some(name) = tags.get(OWNERSHIP_TAG_KEY) {
            owners.insert(name.clone(), summary.case_id);
        }
    }
    Ok(owners)
}
