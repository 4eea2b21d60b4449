//! Minimal deltas (design section 1, "What a field means"): from a desired case and the live
//! case it is bound to, the exact ordered API requests that make the live case match, and a
//! field-by-field account of the changes for people.

mod create;
mod fields;
mod tags;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{CaseStatus, DesiredCase, LiveCase, ResolverType};
use crate::request::{
    CloseCaseInput, Request, TagResourceInput, UntagResourceInput, UpdateCaseInput,
    UpdateCaseStatusInput, UpdateResolverTypeInput,
};
use crate::status::{StatusPathError, shortest_path};

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
    /// A caller bug rather than a manifest error: diffing managed tags against tags never read
    /// would plan to re-add every tag, or miss removals.
    #[error(
        "the manifest manages tags but the live case's tags were not read; read them (ListTagsForResource) before diffing"
    )]
    TagsNotRead,
    #[error(
        "caseMetadata cannot be emptied: the API needs 1 to 30 entries and cannot remove them all; omit caseMetadata to leave it unmanaged"
    )]
    EmptyCaseMetadata,
}

impl CaseDelta {
    /// True when the delta changes nothing live (it may still report drift on a closed case).
    pub fn has_requests(&self) -> bool {
        !self.requests.is_empty()
    }
}

/// The note a closed case's drift carries instead of requests.
pub const CLOSED_CASE_NOTE: &str = "case is closed; changes not applied";

/// The client token of a manifest's CreateCase: the same manifest always gets the same token,
/// so a retried or re-run create cannot make a second case.
///
/// `sirops-` followed by the lowercase hex SHA-256 of the manifest name's UTF-8 bytes (71
/// characters, inside the API's 1..255). This formula is part of the contract: changing it would
/// let a new version create a second case for a create an old version left in flight.
pub fn client_token(manifest_name: &str) -> String {
    format!(
        "sirops-{}",
        hex::encode(Sha256::digest(manifest_name.as_bytes()))
    )
}

/// `live` is `None` when no case is bound yet: the delta then starts with a CreateCase.
///
/// Binding is the caller's business: `desired.case_id` is not read here. When the manifest
/// manages tags, `live.tags` must have been read (`DiffError::TagsNotRead` otherwise).
pub fn diff(desired: &DesiredCase, live: Option<&LiveCase>) -> Result<CaseDelta, DiffError> {
    match live {
        None => create::diff_create(desired),
        Some(live) => diff_existing(desired, live),
    }
}

fn diff_existing(desired: &DesiredCase, live: &LiveCase) -> Result<CaseDelta, DiffError> {
    if live.resolver_type == ResolverType::Aws && desired.resolver_type == ResolverType::SelfManaged
    {
        return Err(DiffError::ResolverToSelf);
    }
    let tag_delta = match (&desired.tags, &live.tags) {
        (None, _) => tags::TagDelta::default(),
        (Some(_), None) => return Err(DiffError::TagsNotRead),
        (Some(desired_tags), Some(live_tags)) => tags::diff_tags(desired_tags, live_tags),
    };
    // The resolver change comes first, so the status moves under the desired resolver's rules.
    let steps = match desired.status {
        Some(status) => shortest_path(live.status, status, desired.resolver_type)?,
        None => Vec::new(),
    };
    let field_delta = fields::diff_fields(desired, live);
    let resolver_changes = live.resolver_type != desired.resolver_type;

    let mut changes = field_delta.changes;
    if resolver_changes {
        changes.push(fields::modify(
            "resolverType",
            &live.resolver_type,
            &desired.resolver_type,
        ));
    }
    if let Some(&last) = steps.last() {
        changes.push(fields::modify("status", &live.status, &last));
    }
    changes.extend(tag_delta.changes);
    sort_in_manifest_order(&mut changes);

    if live.status.is_closed() {
        // Closed is final for the API too: it refuses every write, so drift is only reported.
        let notes = if changes.is_empty() {
            Vec::new()
        } else {
            vec![CLOSED_CASE_NOTE.to_string()]
        };
        return Ok(CaseDelta {
            changes,
            notes,
            ..CaseDelta::default()
        });
    }

    if field_delta
        .update
        .case_metadata
        .as_ref()
        .is_some_and(Vec::is_empty)
    {
        return Err(DiffError::EmptyCaseMetadata);
    }

    let case_id = Some(live.case_id.clone());
    let mut requests = Vec::new();
    if resolver_changes {
        requests.push(Request::UpdateResolverType(UpdateResolverTypeInput {
            case_id: case_id.clone(),
            resolver_type: desired.resolver_type,
        }));
    }
    let update = UpdateCaseInput {
        case_id: case_id.clone(),
        ..field_delta.update
    };
    if !update.is_empty() {
        requests.push(Request::UpdateCase(update));
    }
    if !field_delta.watchers_to_add_again.is_empty() {
        requests.push(Request::UpdateCase(UpdateCaseInput {
            case_id: case_id.clone(),
            watchers_to_add: field_delta.watchers_to_add_again,
            ..UpdateCaseInput::default()
        }));
    }
    let resource_arn = Some(live.case_arn.clone());
    if !tag_delta.to_set.is_empty() {
        requests.push(Request::TagResource(TagResourceInput {
            resource_arn: resource_arn.clone(),
            tags: tag_delta.to_set,
        }));
    }
    if !tag_delta.to_remove.is_empty() {
        requests.push(Request::UntagResource(UntagResourceInput {
            resource_arn,
            tag_keys: tag_delta.to_remove,
        }));
    }
    requests.extend(status_requests(&steps, case_id));

    let status_path = if steps.is_empty() {
        Vec::new()
    } else {
        std::iter::once(live.status).chain(steps).collect()
    };
    Ok(CaseDelta {
        requests,
        status_path,
        changes,
        irreversible: resolver_changes,
        notes: Vec::new(),
    })
}

/// One UpdateCaseStatus per step, except the move to Closed, which only CloseCase makes.
fn status_requests(steps: &[CaseStatus], case_id: Option<String>) -> Vec<Request> {
    steps
        .iter()
        .map(|&step| {
            if step.is_closed() {
                Request::CloseCase(CloseCaseInput {
                    case_id: case_id.clone(),
                })
            } else {
                Request::UpdateCaseStatus(UpdateCaseStatusInput {
                    case_id: case_id.clone(),
                    case_status: step,
                })
            }
        })
        .collect()
}

/// The order of the manifest's `spec`, which is how a reviewer reads the case.
const MANIFEST_FIELD_ORDER: [&str; 14] = [
    "title",
    "description",
    "engagementType",
    "resolverType",
    "status",
    "reportedIncidentStartDate",
    "actualIncidentStartDate",
    "watchers",
    "threatActorIpAddresses",
    "impactedServices",
    "impactedAwsRegions",
    "impactedAccounts",
    "caseMetadata",
    "tags",
];

/// Stable, so the items of one field keep the identity order they were produced in.
fn sort_in_manifest_order(changes: &mut [FieldChange]) {
    changes.sort_by_key(|change| {
        MANIFEST_FIELD_ORDER
            .iter()
            .position(|field| *field == change.field)
            .unwrap_or(MANIFEST_FIELD_ORDER.len())
    });
}
