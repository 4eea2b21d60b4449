//! Refreshing: edits made on live cases outside git are accepted into the manifests. The
//! drifted fields of each manifest are rewritten to their live values in place, every other
//! byte of the file kept; conflicts (git and the live case both moved) are listed, never
//! rewritten.
//!
//! # Guarantees
//! - Only fields classified `drift` against the manifest last applied are rewritten; without a
//!   base nothing is, since a difference of unknown cause may be a pending git change.
//! - A file is written only when every manifest in it could be rewritten faithfully, and
//!   atomically; `dry_run` writes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::Value;

use super::Workspace;
use super::plan::{Endpoint, PlanOptions, make_plan};
use crate::diff::drift::{Cause, accept_live_value};
use crate::live::{CaseApi, read_case_with_tags};
use crate::manifest::{self, CaseManifest};
use crate::model::SpecField;
use crate::plan::CasePlan;

/// What a refresh did, or would do with `dry_run`.
#[derive(Debug, Default)]
pub struct Refreshed {
    /// Per file rewritten: its unified diff.
    pub diffs: Vec<(PathBuf, String)>,
    /// Fields git and the live case both moved: `case`, `field`, git's value, the live value.
    pub conflicts: Vec<Conflict>,
    /// Cases with differences of unknown cause (no base), left alone.
    pub unexplained: Vec<String>,
}

#[derive(Debug)]
pub struct Conflict {
    pub case: String,
    pub field: SpecField,
    pub git: Option<Value>,
    pub live: Option<Value>,
}

/// The new values of one manifest's drifted fields, in manifest form.
type NewValues = Vec<(SpecField, Value)>;

pub async fn refresh<A: CaseApi>(
    api: &A,
    workspace: &Workspace,
    endpoint: &Endpoint,
    options: PlanOptions,
    dry_run: bool,
    on_read: &(dyn Fn() + Send + Sync),
) -> anyhow::Result<Refreshed> {
    let plan = make_plan(api, workspace, endpoint, options, on_read).await?;
    let mut refreshed = Refreshed::default();
    let mut by_file: BTreeMap<PathBuf, Vec<(String, NewValues)>> = BTreeMap::new();
    for case in &plan.cases {
        note_conflicts(case, &mut refreshed.conflicts);
        if case.base.is_none() && !case.changes.is_empty() {
            refreshed.unexplained.push(case.name.clone());
        }
        if let Some((file, values)) = live_values(api, workspace, case).await? {
            by_file
                .entry(file)
                .or_default()
                .push((case.name.clone(), values));
        }
    }
    for (file, manifests) in by_file {
        if let Some(diff) = rewrite_file(&file, &manifests, dry_run)? {
            refreshed.diffs.push((file, diff));
        }
    }
    Ok(refreshed)
}

/// The manifest file of `case` and the live values of its drifted fields; `None` when
/// nothing drifted.
async fn live_values<A: CaseApi>(
    api: &A,
    workspace: &Workspace,
    case: &CasePlan,
) -> anyhow::Result<Option<(PathBuf, NewValues)>> {
    let drifted = drifted_fields(case);
    if drifted.is_empty() {
        return Ok(None);
    }
    let Some(loaded) = workspace.manifest_named(&case.name) else {
        return Ok(None);
    };
    let case_id = case
        .case_id
        .as_deref()
        .context("a drifted case always has an id")?;
    let live = read_case_with_tags(api, case_id)
        .await?
        .with_context(|| format!("case {case_id} no longer exists"))?;
    let mut accepted = loaded.desired.clone();
    for &field in &drifted {
        accept_live_value(&mut accepted, field, &live);
    }
    let spec = serde_json::to_value(CaseManifest::from_desired(&accepted))?["spec"].take();
    let values = drifted
        .into_iter()
        .filter_map(|field| Some((field, spec.get(field.name())?.clone())))
        .collect();
    Ok(Some((loaded.file.clone(), values)))
}

/// Rewrites the manifests of one file; its unified diff, or `None` when nothing changed.
fn rewrite_file(
    file: &Path,
    manifests: &[(String, NewValues)],
    dry_run: bool,
) -> anyhow::Result<Option<String>> {
    let before = std::fs::read_to_string(file)
        .with_context(|| format!("could not read {}", file.display()))?;
    let mut after = before.clone();
    for (name, values) in manifests {
        after = manifest::rewrite_fields(&after, name, values)
            .with_context(|| format!("could not rewrite {name} in {}", file.display()))?;
    }
    if after == before {
        return Ok(None);
    }
    let diff = similar::TextDiff::from_lines(&before, &after)
        .unified_diff()
        .header(
            &format!("{} (git)", file.display()),
            &format!("{} (live)", file.display()),
        )
        .to_string();
    if !dry_run {
        crate::paths::write_atomically(file, after.as_bytes())
            .with_context(|| format!("could not write {}", file.display()))?;
    }
    Ok(Some(diff))
}

fn drifted_fields(case: &CasePlan) -> Vec<SpecField> {
    let mut fields: Vec<SpecField> = case
        .changes
        .iter()
        .filter(|change| change.cause == Some(Cause::Drift))
        .map(|change| change.field)
        .collect();
    fields.dedup();
    fields
}

fn note_conflicts(case: &CasePlan, conflicts: &mut Vec<Conflict>) {
    for change in &case.changes {
        if change.cause == Some(Cause::Conflict) {
            conflicts.push(Conflict {
                case: case.name.clone(),
                field: change.field,
                git: change.after.clone(),
                live: change.before.clone(),
            });
        }
    }
}
