//! The plan: for every manifest (and, with `--prune`, every orphaned owned case) what apply will
//! do, as one value that renders as text, JSON (`docs/reference.md`, "Plan JSON") or Markdown. Building the plan
//! is pure; rendering never decides anything.
//!
//! The JSON (`render_json`, `parse_json`) is the documented plan format. Beyond `formatVersion`,
//! `summary` and each case's `name`, `caseId`, `action`, `statusPath`, `irreversible` and
//! `requests`, each case carries `changes` (field by field, for people), `notes`, `error`
//! (when `action` is `error`), `prune` (an orphan closed by `--prune`), `adoption` and
//! `renamedFrom` (how the case came to be the manifest's) and `liveFingerprint` (what
//! `apply --plan` compares against the live case); the summary adds `adopt`, `irreversible`
//! and `prune`; the plan adds `target` and `manifestDigest` (see [`target`]). A plan made with
//! `--redact` has `"redacted": true` and no fingerprints, and `parse_json` refuses it: its
//! placeholders must never reach a case.

use serde::{Deserialize, Serialize};

pub mod bind;
mod build;
mod display;
#[cfg(test)]
pub(crate) mod fixtures;
mod redact;
mod render_json;
mod render_markdown;
mod render_text;
pub mod target;

pub use build::{Base, Orphan, PlanInput, build_plan};
pub(crate) use display::printable;
pub use redact::{Redactor, email_address, redact};
pub use render_json::{parse_json, render_json};
pub use render_markdown::render_markdown;
#[cfg(test)]
pub(crate) use render_text::RESET;
pub(crate) use render_text::{BOLD_RED, Painter, YELLOW, plural};
pub use render_text::{RenderOptions, render_text};

use crate::diff::FieldChange;
use crate::diff::drift::Cause;
use crate::model::CaseStatus;
use crate::model::SpecField;
use crate::request::Request;

/// The plan JSON's `formatVersion`. Fields may be added within a version, never renamed.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub format_version: u32,
    pub summary: Summary,
    pub cases: Vec<CasePlan>,
    /// True when `--redact` replaced the sensitive values with placeholders. Such a plan is for
    /// people only: `parse_json` refuses it, so it can never be applied.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub redacted: bool,
    /// Where the plan was made; `apply --plan` refuses it anywhere else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<target::Target>,
    /// [`target::manifest_digest`] of the manifests the plan was made from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
}

impl Plan {
    /// A plan of these cases, in the order given, with the summary counted from them.
    pub fn from_cases(cases: Vec<CasePlan>) -> Plan {
        Plan {
            format_version: FORMAT_VERSION,
            summary: Summary::count(&cases),
            cases,
            redacted: false,
            target: None,
            manifest_digest: None,
        }
    }

    /// Cases that differ from their manifest where apply will not change them (a closed case).
    pub fn unrepairable_drift(&self) -> impl Iterator<Item = &CasePlan> {
        self.cases.iter().filter(|case| {
            !case.has_changes() && case.action != Action::Error && !case.changes.is_empty()
        })
    }

    /// True when apply would make at least one call.
    pub fn has_changes(&self) -> bool {
        self.cases.iter().any(CasePlan::has_changes)
    }

    /// True when apply would revert an edit made outside git somewhere.
    pub fn has_drift(&self) -> bool {
        self.cases.iter().any(CasePlan::has_drift)
    }

    /// The plan for `--drift`: the cases whose live state moved behind git's back, each with
    /// only the fields that moved (the requests stay whole: they are what apply would send).
    pub fn drift_only(&self) -> Plan {
        let mut plan = Plan::from_cases(
            self.cases
                .iter()
                .filter(|case| case.has_drift())
                .map(|case| {
                    let mut drifted = case.clone();
                    drifted
                        .changes
                        .retain(|change| change.cause.is_some_and(Cause::is_drift));
                    if !drifted
                        .changes
                        .iter()
                        .any(|change| change.field == SpecField::Status)
                    {
                        drifted.status_path.clear();
                    }
                    drifted
                })
                .collect(),
        );
        plan.target.clone_from(&self.target);
        plan.manifest_digest.clone_from(&self.manifest_digest);
        plan.redacted = self.redacted;
        plan
    }

    /// The orphans `--prune` would close.
    pub fn pruned(&self) -> impl Iterator<Item = &CasePlan> {
        self.cases
            .iter()
            .filter(|case| case.prune && case.action == Action::Close)
    }

    /// True when at least one case could not be planned.
    pub fn has_errors(&self) -> bool {
        self.cases.iter().any(|case| case.action == Action::Error)
    }
}

impl Summary {
    /// Counts are derived from the cases only, so a summary can never disagree with its plan.
    pub fn count(cases: &[CasePlan]) -> Summary {
        let mut summary = Summary::default();
        for case in cases {
            match case.action {
                Action::Create => summary.create += 1,
                Action::Adopt => summary.adopt += 1,
                Action::Update => summary.update += 1,
                Action::Close => summary.close += 1,
                Action::NoChange => summary.no_change += 1,
                Action::Error => summary.errors += 1,
            }
            summary.status_transitions += case
                .requests
                .iter()
                .filter(|request| {
                    matches!(
                        request,
                        Request::UpdateCaseStatus(_) | Request::CloseCase(_)
                    )
                })
                .count();
            if case.irreversible {
                summary.irreversible += 1;
            }
            if case.prune && case.action == Action::Close {
                summary.prune += 1;
            }
        }
        summary
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub create: usize,
    /// Cases a manifest's `caseId` names that apply tags as sirops's (adoption).
    #[serde(default)]
    pub adopt: usize,
    pub update: usize,
    pub close: usize,
    pub no_change: usize,
    pub status_transitions: usize,
    pub errors: usize,
    /// Cases with a request that cannot be undone: CloseCase or resolverType Self -> AWS.
    pub irreversible: usize,
    pub prune: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    Create,
    /// The manifest's `caseId` names a case sirops does not own yet: apply tags it (and makes
    /// whatever other changes the manifest asks for).
    Adopt,
    Update,
    Close,
    NoChange,
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CasePlan {
    /// The manifest's `metadata.name`; for an orphan, the name in its ownership tag.
    pub name: String,
    pub case_id: Option<String>,
    pub action: Action,
    pub status_path: Vec<CaseStatus>,
    pub irreversible: bool,
    pub requests: Vec<Request>,
    #[serde(default)]
    pub changes: Vec<FieldChange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// True for an orphaned owned case that `--prune` closes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prune: bool,
    /// `LiveCase::fingerprint` of the live case the plan was made against; `apply --plan`
    /// refuses when the case has changed since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_fingerprint: Option<String>,
    /// Set when the manifest adopts the case (`action` is `adopt`, or would be but the case
    /// is closed): what the case was before sirops owned it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adoption: Option<Adoption>,
    /// Set when the case was found by one of the manifest's `previousNames`: apply retags it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// The git revision whose manifest the changes were classified against (the case's
    /// `sirops:revision` tag, or `--base`); unset when the cause of a change is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
}

impl CasePlan {
    /// A case with nothing to do yet, which the planner then fills in.
    pub fn new(name: String, case_id: Option<String>, action: Action) -> CasePlan {
        CasePlan {
            name,
            case_id,
            action,
            status_path: Vec::new(),
            irreversible: false,
            requests: Vec::new(),
            changes: Vec::new(),
            notes: Vec::new(),
            error: None,
            prune: false,
            live_fingerprint: None,
            adoption: None,
            renamed_from: None,
            base: None,
        }
    }

    /// True when apply makes at least one call for this case.
    pub fn has_changes(&self) -> bool {
        !self.requests.is_empty()
            && matches!(
                self.action,
                Action::Create | Action::Adopt | Action::Update | Action::Close
            )
    }

    /// True when applying would revert an edit made outside git: a field the live case moved
    /// away from the last applied manifest.
    pub fn has_drift(&self) -> bool {
        self.has_changes()
            && self
                .changes
                .iter()
                .any(|change| change.cause.is_some_and(Cause::is_drift))
    }

    /// The requests that cannot be undone: closing the case, handing it to AWS responders.
    pub fn irreversible_requests(&self) -> impl Iterator<Item = &Request> {
        self.requests
            .iter()
            .filter(|request| request.is_irreversible())
    }
}

/// The live case a manifest adopts, as the plan shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Adoption {
    pub live_status: CaseStatus,
    /// The manifest name in the case's ownership tag, when it had one whose manifest is gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_name: Option<String>,
}
