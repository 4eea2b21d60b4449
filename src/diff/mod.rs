//! Minimal deltas (design section 1, "What a field means"): from a desired case and the live
//! case it is bound to, the exact ordered API requests that make the live case match, and a
//! field-by-field account of the changes for people.

use serde::{Deserialize, Serialize};

use crate::model::{CaseStatus, DesiredCase, LiveCase};
use crate::request::Request;
use crate::status::StatusPathError;

/// How one field changes, for renderers. Values are shown as the API spells them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldChange {
    /// The manifest's field name: `title`, `watchers`, `tags`, `status`, ...
    pub field: String,
    pub kind: ChangeKind,
    /// The item or value removed or replaced; `None` for an add.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<serde_json::Value>,
    /// The item or value added or the new value; `None` for a removal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ChangeKind {
    Add,
    Remove,
    Modify,
}

/// Everything the planner needs to know about one case.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CaseDelta {
    /// In design order: CreateCase or UpdateResolverType, UpdateCase(s), TagResource /
    /// UntagResource, UpdateCaseStatus steps, CloseCase last.
    pub requests: Vec<Request>,
    /// The live status followed by every step, when the status changes; empty otherwise.
    pub status_path: Vec<CaseStatus>,
    pub changes: Vec<FieldChange>,
    /// True when the plan contains a change the API cannot undo (Self -> AWS).
    pub irreversible: bool,
    /// Things the reviewer should know that are not requests (e.g. drift on a closed case).
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiffError {
    #[error(transparent)]
    Status(#[from] StatusPathError),
    #[error(
        "resolverType cannot go from AWS back to Self: the API allows only Self -> AWS; set resolverType: AWS"
    )]
    ResolverToSelf,
}

/// The client token of a manifest's CreateCase: the same manifest always gets the same token,
/// so a retried or re-run create cannot make a second case.
pub fn client_token(manifest_name: &str) -> String {
    let _ = manifest_name;
    todo!("diff helper")
}

/// `live` is `None` when no case is bound yet: the delta then starts with a CreateCase.
pub fn diff(desired: &DesiredCase, live: Option<&LiveCase>) -> Result<CaseDelta, DiffError> {
    let _ = (desired, live);
    todo!("diff helper")
}
