//! The plan: for every manifest (and, with `--prune`, every orphaned owned case) what apply will
//! do, as one value that renders as text, JSON (design section 5) or Markdown. Building the plan
//! is pure; rendering never decides anything.

use serde::{Deserialize, Serialize};

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

// Temporary until the planner change lands.
pub enum Binding {
    Found(crate::model::LiveCase),
    NotFound,
    Failed(String),
}
pub struct PlanInput {
    pub manifests: Vec<(crate::model::DesiredCase, Binding)>,
    pub orphans: Vec<crate::model::LiveCase>,
}
pub struct RenderOptions {
    pub color: bool,
}
pub fn build_plan(_: PlanInput) -> Plan {
    todo!()
}
pub fn render_text(_: &Plan, _: &RenderOptions) -> String {
    todo!()
}
pub fn render_json(_: &Plan) -> String {
    todo!()
}
pub fn render_markdown(_: &Plan) -> String {
    todo!()
}
pub fn redact(_: &Plan) -> Plan {
    todo!()
}
pub fn parse_json(_: &str) -> anyhow::Result<Plan> {
    todo!()
}
impl Plan {
    pub fn has_errors(&self) -> bool {
        todo!()
    }
    pub fn has_changes(&self) -> bool {
        todo!()
    }
}
