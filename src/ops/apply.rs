//! Applying: a saved plan is checked against its target, its manifests and the live cases
//! before anything is sent; after the executor has run, case ids are recorded in the manifests
//! (`--write-back`).
//!
//! # Guarantees
//! - A saved plan is applied only where it was made (endpoint, region, account, scope), from
//!   the manifests it was made from, with every request addressing its own case, and only if no
//!   case it touches changed since; otherwise nothing is sent and every reason is named.
//! - Write-back records the id of every manifest bound to a case that lacks `caseId` (created
//!   by this run or found by its tag), so a run that crashed or whose push was refused is
//!   healed by the next apply.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::Workspace;
use super::plan::Endpoint;
use crate::apply::{AuditContext, CaseOutcome};
use crate::live::discover::{account_of, list_tagged_cases};
use crate::live::{ApiError, CaseApi, map_concurrently, read_case_with_tags};
use crate::manifest::{self, Manifests};
use crate::plan::bind::Owner;
use crate::plan::target::{self, Target};
use crate::plan::{Action, CasePlan, Plan};
use crate::request::Request;

/// Why a saved plan was not applied: each line names a reason or a case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the saved plan cannot be applied, so nothing was applied; run `sirops plan --out` again:{}", reasons.iter().map(|reason| format!("\n  - {reason}")).collect::<String>())]
pub struct StalePlan {
    pub reasons: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SavedPlanError {
    #[error(transparent)]
    Stale(#[from] StalePlan),
    #[error("could not read the live cases to check the saved plan: {0}")]
    Live(#[from] ApiError),
}

/// Reads a plan saved by `plan --out`.
pub fn read_saved_plan(path: &Path) -> anyhow::Result<Plan> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read the saved plan {}", path.display()))?;
    crate::plan::parse_json(&text)
        .with_context(|| format!("{} is not a sirops plan", path.display()))
}

/// Checks a saved plan against this run: the workspace's scope and manifests, the endpoint,
/// and the live cases it touches.
pub async fn check_saved_plan_for<A: CaseApi>(
    api: &A,
    workspace: &Workspace,
    endpoint: &Endpoint,
    plan: &Plan,
    parallelism: usize,
) -> Result<(), SavedPlanError> {
    let now = endpoint.target(&workspace.project.scope, None);
    let digest = target::manifest_digest(
        workspace
            .manifests
            .manifests
            .iter()
            .map(|loaded| &loaded.desired),
    );
    check_saved_plan(api, plan, &now, &digest, parallelism).await
}

/// Checks `plan` against this run (`now`, the digest of the manifests it read) and then
/// against the live cases it touches.
pub async fn check_saved_plan<A: CaseApi>(
    api: &A,
    plan: &Plan,
    now: &Target,
    digest: &str,
    parallelism: usize,
) -> Result<(), SavedPlanError> {
    let mismatches = target::check_saved_plan(plan, now, digest);
    if !mismatches.is_empty() {
        return Err(StalePlan {
            reasons: mismatches.iter().map(ToString::to_string).collect(),
        }
        .into());
    }
    let touched: Vec<&CasePlan> = plan
        .cases
        .iter()
        .filter(|case| case.has_changes())
        .collect();
    let mut accounts = BTreeSet::new();
    let mut reasons =
        creates_made_since(api, &touched, &now.scope, parallelism, &mut accounts).await?;
    reasons.extend(bound_cases_changed_since(api, &touched, parallelism, &mut accounts).await?);
    if let Some(mismatch) = target::check_account(plan, accounts.iter().next().map(String::as_str))
    {
        reasons.insert(0, mismatch.to_string());
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(StalePlan { reasons }.into())
    }
}

/// A planned create whose case exists by now (another run made it): applying would make a
/// second case.
async fn creates_made_since<A: CaseApi>(
    api: &A,
    touched: &[&CasePlan],
    scope: &str,
    parallelism: usize,
    accounts: &mut BTreeSet<String>,
) -> Result<Vec<String>, ApiError> {
    let mut reasons = Vec::new();
    if !touched.iter().any(|case| is_create(case)) {
        return Ok(reasons);
    }
    let (tagged, listed_accounts) = list_tagged_cases(api, parallelism, &|| {}).await?;
    accounts.extend(listed_accounts);
    for case in touched.iter().filter(|case| is_create(case)) {
        if let Some(found) = tagged.iter().find(|tagged| {
            let owner = Owner::of(&tagged.tags);
            owner.name == Some(case.name.as_str()) && owner.scope == Some(scope)
        }) {
            reasons.push(format!(
                "{}: case {} was created for it since the plan was made",
                case.name, found.case_id
            ));
        }
    }
    Ok(reasons)
}

/// A planned change to an existing case that is gone or changed since the plan was made.
async fn bound_cases_changed_since<A: CaseApi>(
    api: &A,
    touched: &[&CasePlan],
    parallelism: usize,
    accounts: &mut BTreeSet<String>,
) -> Result<Vec<String>, ApiError> {
    let bound: Vec<&CasePlan> = touched
        .iter()
        .copied()
        .filter(|case| !is_create(case))
        .collect();
    let reads = map_concurrently(bound, parallelism, |case| async move {
        let Some(case_id) = case.case_id.as_deref() else {
            return Ok((case, None));
        };
        Ok::<_, ApiError>((case, read_case_with_tags(api, case_id).await?))
    })
    .await;
    let mut reasons = Vec::new();
    for read in reads {
        let (case, live) = read?;
        let id = case.case_id.as_deref().unwrap_or("(none)");
        match live {
            None => reasons.push(format!("{}: case {id} no longer exists", case.name)),
            Some(live) => {
                accounts.extend(account_of(&live.case_arn));
                if case.live_fingerprint.as_deref() != Some(live.fingerprint().as_str()) {
                    reasons.push(format!(
                        "{}: case {id} changed since the plan was made",
                        case.name
                    ));
                }
            }
        }
    }
    Ok(reasons)
}

fn is_create(case: &CasePlan) -> bool {
    matches!(case.requests.first(), Some(Request::CreateCase(_)))
}

/// A manifest that gets `caseId` written into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub name: String,
    pub file: PathBuf,
    pub case_id: String,
}

/// The manifests without `caseId` whose case is known after this run: created by it, or
/// bound by tag (including through a previous name).
pub fn case_ids_to_record(
    manifests: &Manifests,
    plan: &Plan,
    outcomes: &[CaseOutcome],
) -> Vec<Recorded> {
    manifests
        .manifests
        .iter()
        .filter(|loaded| loaded.desired.case_id.is_none())
        .filter_map(|loaded| {
            let name = &loaded.desired.name;
            let from_apply = outcomes
                .iter()
                .find(|outcome| outcome.name == *name)
                .and_then(|outcome| outcome.case_id.clone());
            let from_plan = plan
                .cases
                .iter()
                .find(|case| case.name == *name && !case.prune && case.action != Action::Error)
                .and_then(|case| case.case_id.clone());
            Some(Recorded {
                name: name.clone(),
                file: loaded.file.clone(),
                case_id: from_apply.or(from_plan)?,
            })
        })
        .collect()
}

/// A manifest whose case id could not be recorded.
#[derive(Debug, thiserror::Error)]
#[error("could not record case {case_id} in {}: {message}", file.display())]
pub struct WriteBackFailure {
    pub file: PathBuf,
    pub case_id: String,
    pub message: String,
}

/// Writes each case id into its manifest file (one line per manifest; comments and layout
/// stay). Every manifest is tried; the failures come back.
pub fn write_back(recorded: &[Recorded]) -> Vec<WriteBackFailure> {
    let mut failures = Vec::new();
    for entry in recorded {
        let failure = |message: String| WriteBackFailure {
            file: entry.file.clone(),
            case_id: entry.case_id.clone(),
            message,
        };
        let text = match std::fs::read_to_string(&entry.file) {
            Ok(text) => text,
            Err(error) => {
                failures.push(failure(error.to_string()));
                continue;
            }
        };
        match manifest::write_back_case_id(&text, &entry.name, &entry.case_id) {
            Ok(updated) if updated == text => {}
            Ok(updated) => {
                if let Err(error) = crate::paths::write_atomically(&entry.file, updated.as_bytes())
                {
                    failures.push(failure(error.to_string()));
                }
            }
            Err(error) => failures.push(failure(error.to_string())),
        }
    }
    failures
}

/// `--write-back`: records the case ids of `outcomes` and of the plan's bindings in the
/// manifests that lack them. Returns the names of the manifests written, and the failures.
pub fn record_case_ids(
    workspace: &Workspace,
    plan: &Plan,
    outcomes: &[CaseOutcome],
) -> (Vec<String>, Vec<WriteBackFailure>) {
    let recorded = case_ids_to_record(&workspace.manifests, plan, outcomes);
    let failures = write_back(&recorded);
    let written = recorded
        .into_iter()
        .filter(|entry| {
            !failures
                .iter()
                .any(|failure| failure.file == entry.file && failure.case_id == entry.case_id)
        })
        .map(|entry| entry.name)
        .collect();
    (written, failures)
}

/// The commit and author an audit comment names: from the CI's environment, else from git.
pub fn audit_context() -> AuditContext {
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
