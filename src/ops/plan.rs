//! Making a plan: the prune guards, reading the live side, building the plan, and binding it to
//! its target so that a saved plan can only be applied where it was made.
//!
//! # Guarantees
//! - With `--prune`, nothing is read or written unless the run read the whole manifest root:
//!   a run over some of the manifests would see the cases of the others as orphans.
//! - A plan that would close more than `max_prune` orphans is refused, listing them.
//! - Cases of another scope are never part of the plan.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::Workspace;
use super::git::Repository;
use crate::diff::FieldChange;
use crate::diff::drift::{Cause, DriftRule, accept_live_value};
use crate::live::discover::{DiscoverOptions, discover};
use crate::live::edits::{explanation, sirops_principal};
use crate::live::{ApiError, CaseApi, map_concurrently};
use crate::manifest;
use crate::model::{CaseEdit, REVISION_TAG_KEY, Timestamp};
use crate::plan::bind::{Binding, Claims};
use crate::plan::target::{SIROPS_VERSION, Target, manifest_digest};
use crate::plan::{self, Base, Plan, PlanInput};

/// How many orphans `--prune` closes unless told otherwise: a few manifests deleted in one
/// change is routine, many at once is more often a mistake.
pub const DEFAULT_MAX_PRUNE: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanOptions {
    /// How many reads run at once.
    pub parallelism: usize,
    /// Also plan to close owned cases of this scope whose manifest is gone.
    pub prune: bool,
    /// The most orphans a plan may close.
    pub max_prune: usize,
    /// `--base`: the git revision to tell changes from drift against, for every case, instead
    /// of the revision each case was last applied at.
    pub base: Option<String>,
    /// `--drift`: plan only the repair of drift and conflicts; pending git changes and changes
    /// of unknown cause are left for a full apply.
    pub drift_only: bool,
}

/// Where this run sends its calls, as a saved plan records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// See [`Target::endpoint`].
    pub endpoint: String,
    pub region: Option<String>,
}

impl Endpoint {
    /// The target of a run against this endpoint in `scope`, before any case was read.
    pub fn target(&self, scope: &str, account: Option<String>) -> Target {
        Target {
            endpoint: self.endpoint.clone(),
            region: self.region.clone(),
            account,
            scope: scope.to_string(),
            sirops_version: SIROPS_VERSION.to_string(),
        }
    }
}

/// Why `--prune` refused to run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PruneRefusal {
    #[error(
        "--prune needs at least one manifest: with none loaded it would close every case of this scope; check the paths"
    )]
    NoManifests,
    #[error(
        "--prune needs the whole manifest root {root} (from {settings}), but this run read only {read}: the cases of the manifests left out would look orphaned and be closed; run it over {root}, or without --prune"
    )]
    Subset {
        read: String,
        root: String,
        settings: String,
    },
    #[error(
        "--prune would close {count} cases, more than --max-prune {max}: {cases}; if that is what you mean, pass --max-prune {count}"
    )]
    TooMany {
        count: usize,
        max: usize,
        cases: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Prune(#[from] PruneRefusal),
    #[error("could not read the live cases: {0}")]
    Live(#[from] ApiError),
    #[error("--base: {0}")]
    Base(String),
}

/// The prune guards that need no API call: run before connecting.
pub fn check_prune_scope(workspace: &Workspace, prune: bool) -> Result<(), PruneRefusal> {
    if !prune {
        return Ok(());
    }
    if workspace.manifests.manifests.is_empty() {
        return Err(PruneRefusal::NoManifests);
    }
    if !workspace.project.covers_manifest_root(&workspace.paths) {
        let read: Vec<String> = workspace
            .paths
            .iter()
            .map(|path: &PathBuf| path.display().to_string())
            .collect();
        return Err(PruneRefusal::Subset {
            read: read.join(", "),
            root: workspace.project.manifest_root.display().to_string(),
            settings: workspace.project.describe_source(),
        });
    }
    Ok(())
}

/// Reads the live side for the workspace's manifests and plans them, bound to `endpoint`.
pub async fn make_plan<A: CaseApi>(
    api: &A,
    workspace: &Workspace,
    endpoint: &Endpoint,
    options: PlanOptions,
    on_read: &(dyn Fn() + Send + Sync),
) -> Result<Plan, PlanError> {
    check_prune_scope(workspace, options.prune)?;
    let loaded = &workspace.manifests.manifests;
    let claims = Claims::new(
        &workspace.project.scope,
        loaded
            .iter()
            .map(|manifest| (&manifest.desired, manifest.source())),
        workspace.manifests_left_out(),
    );
    let desired = loaded
        .iter()
        .map(|manifest| manifest.desired.clone())
        .collect();
    let mut input = discover(
        api,
        desired,
        &claims,
        DiscoverOptions {
            parallelism: options.parallelism,
            prune: options.prune,
        },
        on_read,
    )
    .await?;
    let times = read_bases(workspace, &mut input, options.base.as_deref())?;
    let account = input.account.clone();
    let mut plan = plan::build_plan(input.clone());
    let histories = read_histories(api, &plan, options.parallelism).await?;
    let own = sirops_principals(&histories, &times.applied);
    attach_edits(&mut plan, &histories, &times.since, &own);
    let expected = expected_drift(workspace, &plan);
    let pending = if options.drift_only {
        pending_changes(&plan)
    } else {
        BTreeMap::new()
    };
    if !expected.is_empty() || options.drift_only {
        if options.drift_only {
            repair_drift_only(&mut input);
        }
        // Leaving changes alone only takes drift away, so the histories read cover it.
        plan = plan_leaving_alone(input, &expected, &pending);
        attach_edits(&mut plan, &histories, &times.since, &own);
    }
    check_prune_count(&plan, options.max_prune)?;
    plan.target = Some(endpoint.target(&workspace.project.scope, account));
    plan.manifest_digest = Some(manifest_digest(
        loaded.iter().map(|manifest| &manifest.desired),
    ));
    Ok(plan)
}

/// When each bound case's base and last applied revision were committed, by manifest name.
#[derive(Default)]
struct BaseTimes {
    /// The base's: edits before it cannot explain drift from it.
    since: BTreeMap<String, Timestamp>,
    /// The revision the case is tagged with: the edit that recorded it names sirops.
    applied: BTreeMap<String, Timestamp>,
}

/// The revision to record on the cases apply changes, and the manifest each bound case was
/// last applied from. Outside a git work tree, or for a case without a known revision, there
/// is no base and the plan does not say what caused a change.
fn read_bases(
    workspace: &Workspace,
    input: &mut PlanInput,
    base: Option<&str>,
) -> Result<BaseTimes, PlanError> {
    let mut times = BaseTimes::default();
    let Some(repository) = Repository::containing(&workspace.project.root) else {
        return match base {
            Some(_) => Err(PlanError::Base(format!(
                "{} is not in a git work tree",
                workspace.project.root.display()
            ))),
            None => Ok(times),
        };
    };
    input.revision = repository.clean_head(&workspace.paths);
    let base = base
        .map(|reference| repository.resolve(reference))
        .transpose()
        .map_err(PlanError::Base)?;
    let mut commits = Commits {
        repository: &repository,
        seen: BTreeMap::new(),
    };
    for (desired, binding) in &input.manifests {
        let Binding::Found { live, .. } = binding else {
            continue;
        };
        let tagged = live
            .tags
            .as_ref()
            .and_then(|tags| tags.get(REVISION_TAG_KEY));
        if let Some(time) = tagged.and_then(|revision| commits.time(revision)) {
            times.applied.insert(desired.name.clone(), time);
        }
        let Some(revision) = base.as_ref().or(tagged) else {
            continue;
        };
        let Some(loaded) = workspace.manifest_named(&desired.name) else {
            continue;
        };
        // A revision the clone does not hold (a shallow checkout) leaves the cause unknown.
        if !commits.held(revision) {
            continue;
        }
        let manifest = repository.file_at(revision, &loaded.file).and_then(|text| {
            manifest::parse_source(&loaded.file, &text)
                .manifests
                .into_iter()
                .map(|old| old.desired)
                .find(|old| old.name == desired.name)
        });
        if let Some(time) = commits.time(revision) {
            times.since.insert(desired.name.clone(), time);
        }
        input.bases.insert(
            desired.name.clone(),
            Base {
                revision: revision.clone(),
                manifest,
            },
        );
    }
    Ok(times)
}

/// The revisions cases name, each asked of git once: cases applied together share theirs.
struct Commits<'a> {
    repository: &'a Repository,
    seen: BTreeMap<String, Commit>,
}

#[derive(Clone, Copy)]
enum Commit {
    /// A shallow clone, say: the cause of its cases' changes is unknown.
    NotInClone,
    /// When it was committed, if git said.
    Held(Option<Timestamp>),
}

impl Commits<'_> {
    fn held(&mut self, revision: &str) -> bool {
        matches!(self.look_up(revision), Commit::Held(_))
    }

    fn time(&mut self, revision: &str) -> Option<Timestamp> {
        match self.look_up(revision) {
            Commit::Held(time) => time,
            Commit::NotInClone => None,
        }
    }

    fn look_up(&mut self, revision: &str) -> Commit {
        if let Some(found) = self.seen.get(revision) {
            return *found;
        }
        let found = if self.repository.resolve(revision).is_ok() {
            Commit::Held(self.repository.commit_time(revision))
        } else {
            tracing::info!(
                revision,
                "a revision last applied is not in this clone; the cause of its cases' changes is unknown"
            );
            Commit::NotInClone
        };
        self.seen.insert(revision.to_string(), found);
        found
    }
}

/// Drift the project's `ignoreDrift` or the manifest's `metadata.ignore` expects, by manifest
/// name: the fields, with the edits that explain them. A conflict is never expected: leaving
/// it alone would drop git's change too.
fn expected_drift(workspace: &Workspace, plan: &Plan) -> BTreeMap<String, Vec<FieldChange>> {
    let mut expected: BTreeMap<String, Vec<FieldChange>> = BTreeMap::new();
    for case in &plan.cases {
        let Some(loaded) = workspace.manifest_named(&case.name) else {
            continue;
        };
        let own_rule = DriftRule {
            fields: loaded.ignore.clone(),
            principals: Vec::new(),
        };
        let rules: Vec<&DriftRule> = workspace
            .project
            .drift_rules
            .iter()
            .chain((!loaded.ignore.is_empty()).then_some(&own_rule))
            .collect();
        for change in &case.changes {
            let covered = change.cause == Some(Cause::Drift)
                && rules
                    .iter()
                    .any(|rule| rule.covers(change.field, &change.edits));
            if covered {
                expected
                    .entry(case.name.clone())
                    .or_default()
                    .push(change.clone());
            }
        }
    }
    expected
}

/// `--drift`: every change that is not drift, by manifest name: pending git changes, and
/// changes whose cause is unknown.
fn pending_changes(plan: &Plan) -> BTreeMap<String, Vec<FieldChange>> {
    plan.cases
        .iter()
        .map(|case| {
            let pending: Vec<FieldChange> = case
                .changes
                .iter()
                .filter(|change| !change.cause.is_some_and(Cause::is_drift))
                .cloned()
                .collect();
            (case.name.clone(), pending)
        })
        .filter(|(_, pending)| !pending.is_empty())
        .collect()
}

/// `--drift` repairs what moved behind git's back and nothing else: no case is created or
/// pruned, and the cases are not tagged with a revision whose changes were not all applied.
fn repair_drift_only(input: &mut PlanInput) {
    input.revision = None;
    input.orphans.clear();
    input
        .manifests
        .retain(|(_, binding)| !matches!(binding, Binding::NotFound));
}

/// The plan again, with the live value taken as wanted for each expected drift and each
/// change `--drift` leaves for later, so that nothing is sent for them; each case says what
/// it left alone and, for drift, who made those edits.
fn plan_leaving_alone(
    mut input: PlanInput,
    expected: &BTreeMap<String, Vec<FieldChange>>,
    pending: &BTreeMap<String, Vec<FieldChange>>,
) -> Plan {
    for (desired, binding) in &mut input.manifests {
        let Binding::Found { live, .. } = &*binding else {
            continue;
        };
        for change in pending.get(&desired.name).into_iter().flatten() {
            accept_live_value(desired, change.field, live);
        }
        let Some(changes) = expected.get(&desired.name) else {
            continue;
        };
        let mut base = input
            .bases
            .get(&desired.name)
            .and_then(|base| base.manifest.clone());
        for change in changes {
            accept_live_value(desired, change.field, live);
            // The base too, so that the field is not called converged.
            if let Some(base) = &mut base {
                accept_live_value(base, change.field, live);
            }
        }
        if let (Some(base), Some(entry)) = (base, input.bases.get_mut(&desired.name)) {
            entry.manifest = Some(base);
        }
    }
    let mut plan = plan::build_plan(input);
    for case in &mut plan.cases {
        if let Some(changes) = pending.get(&case.name) {
            let mut fields: Vec<&str> = changes.iter().map(|change| change.field.name()).collect();
            fields.dedup();
            case.notes.push(format!(
                "not drift, left for a full apply: {}",
                fields.join(", ")
            ));
        }
        let Some(changes) = expected.get(&case.name) else {
            continue;
        };
        let mut fields: Vec<String> = Vec::new();
        for change in changes {
            let who: Vec<String> = change
                .edits
                .iter()
                .map(|edit| format!("{} at {}", edit.principal, edit.time.to_rfc3339()))
                .collect();
            let field = change.field.name().to_string();
            let described = if who.is_empty() {
                field
            } else {
                format!("{field} (edited by {})", who.join(", "))
            };
            if !fields.contains(&described) {
                fields.push(described);
            }
        }
        case.notes.push(format!(
            "expected drift, left alone (ignoreDrift or metadata.ignore): {}",
            fields.join("; ")
        ));
    }
    plan
}

/// The edit history of each case with drift, by case name, or why it could not be read.
type Histories = BTreeMap<String, Result<Vec<CaseEdit>, ApiError>>;

/// Reads the edit history of each case with drift. Only those are read, so an in-sync plan
/// costs no call.
async fn read_histories<A: CaseApi>(
    api: &A,
    plan: &Plan,
    parallelism: usize,
) -> Result<Histories, ApiError> {
    let drifted: Vec<(String, String)> = plan
        .cases
        .iter()
        .filter(|case| case.has_drift())
        .filter_map(|case| Some((case.name.clone(), case.case_id.clone()?)))
        .collect();
    let histories = map_concurrently(drifted, parallelism, |(name, case_id)| async move {
        (name, api.list_case_edits(&case_id).await)
    })
    .await;
    if let Some(error) = histories
        .iter()
        .find_map(|(_, history)| history.as_ref().err())
        .filter(|error| error.stops_every_call())
    {
        return Err(error.clone());
    }
    Ok(histories.into_iter().collect())
}

/// The principals sirops ran as, as the edits that recorded the cases' revisions show. sirops
/// runs as one identity, so what one case shows of it holds for every case.
fn sirops_principals(
    histories: &Histories,
    applied: &BTreeMap<String, Timestamp>,
) -> BTreeSet<String> {
    histories
        .iter()
        .filter_map(|(name, history)| {
            let history = history.as_ref().ok()?;
            sirops_principal(history, *applied.get(name)?).map(str::to_string)
        })
        .collect()
}

/// Gives each drifted or conflicting field the edits that explain it. A history that could
/// not be read leaves a note, not a failed plan: the drift itself is known.
fn attach_edits(
    plan: &mut Plan,
    histories: &Histories,
    since: &BTreeMap<String, Timestamp>,
    own: &BTreeSet<String>,
) {
    for case in plan.cases.iter_mut().filter(|case| case.has_drift()) {
        let edits = match histories.get(&case.name) {
            None => continue,
            Some(Ok(edits)) => edits,
            Some(Err(error)) => {
                case.notes.push(format!(
                    "who edited the case outside git could not be read: {error}"
                ));
                continue;
            }
        };
        let after = since.get(&case.name).copied();
        for change in &mut case.changes {
            if change.cause.is_some_and(Cause::is_drift) {
                change.edits = explanation(change.field, edits, after, own);
            }
        }
    }
}

fn check_prune_count(plan: &Plan, max: usize) -> Result<(), PruneRefusal> {
    const SHOWN: usize = 20;
    let pruned: Vec<String> = plan
        .pruned()
        .map(|case| match &case.case_id {
            Some(id) => format!("{} ({id})", case.name),
            None => case.name.clone(),
        })
        .collect();
    if pruned.len() <= max {
        return Ok(());
    }
    let mut cases = pruned
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if pruned.len() > SHOWN {
        cases.push_str(&format!(" and {} more", pruned.len() - SHOWN));
    }
    Err(PruneRefusal::TooMany {
        count: pruned.len(),
        max,
        cases,
    })
}
