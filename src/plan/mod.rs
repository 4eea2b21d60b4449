//! The plan: for every manifest (and, with `--prune`, every orphaned owned case) what apply will
//! do, as one value that renders as text, JSON (design section 5) or Markdown. Building the plan
//! is pure; rendering never decides anything.
//!
//! The JSON (`render_json`, `parse_json`) is design section 5. Beyond the fields it lists, each
//! case carries `changes` (field by field, for people), `notes`, `error` (when `action` is
//! `error`), `prune` (an orphan closed by `--prune`) and `liveFingerprint` (what `apply --plan`
//! compares against the live case); the summary adds `irreversible` and `prune`. A plan made
//! with `--redact` has `"redacted": true` and no fingerprints, and `parse_json` refuses it:
//! its placeholders must never reach a case.

use serde::{Deserialize, Serialize};

mod build;
mod display;
#[cfg(test)]
mod fixtures;
mod redact;
mod render_json;
mod render_markdown;
mod render_text;

pub use build::{Binding, PlanInput, build_plan};
pub use redact::redact;
pub use render_json::{PlanParseError, parse_json, render_json};
pub use render_markdown::{GITHUB_COMMENT_LIMIT, render_markdown};
pub use render_text::{RenderOptions, render_text};

use crate::diff::FieldChange;
use crate::model::CaseStatus;
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
}

impl Plan {
    /// A plan of these cases, in the order given, with the summary counted from them.
    pub fn from_cases(cases: Vec<CasePlan>) -> Plan {
        Plan {
            format_version: FORMAT_VERSION,
            summary: Summary::count(&cases),
            cases,
            redacted: false,
        }
    }

    /// True when apply would make at least one call.
    pub fn has_changes(&self) -> bool {
        self.cases
            .iter()
            .any(|case| matches!(case.action, Action::Create | Action::Update | Action::Close))
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
    pub update: usize,
    pub close: usize,
    pub no_change: usize,
    pub status_transitions: usize,
    pub errors: usize,
    pub irreversible: usize,
    pub prune: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    Create,
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
}
