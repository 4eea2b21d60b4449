//! Minimal deltas (`docs/reference.md`, "Manifests": managed versus unmanaged): from a desired case and the live
//! case it is bound to, the exact ordered API requests that make the live case match, and a
//! field-by-field account of the changes for people.
//!
//! Decisions the reference leaves open, made here once:
//! - Requests of one case, in order: CreateCase or UpdateResolverType; one UpdateCase with every
//!   field delta, and at most one more carrying only deferred adds; TagResource; UntagResource;
//!   UpdateCaseStatus steps; CloseCase.
//! - The API does not say in which order one UpdateCase applies its ToAdd and ToDelete lists,
//!   and may match a threat-actor IP by its ipAddress alone, so the plan holds under the
//!   strictest reading: adds first, keys compared loosely. An add whose key (a watcher's
//!   lower-cased email, an IP's ipAddress, another list's value) a delete of the same list also
//!   names (a watcher whose name or jobTitle changed, an IP whose userAgent changed) waits for
//!   the second UpdateCase, as do all adds of a list whose live items plus adds would pass its
//!   limit. Scalars, caseMetadata and every delete stay in the first, which is
//!   not sent when nothing is left in it. `changes` do not show the split: a renamed watcher is
//!   one Modify, an IP with a new userAgent a Remove and an Add.
//! - A watcher whose email differs from live only in case, with equal name and jobTitle, is
//!   unchanged. A deleted watcher is sent as the live item, in its own spelling.
//! - List items in requests and changes are sorted by identity; a create sends the manifest's
//!   lists in the manifest's order.
//! - A Closed case gets no requests at all; its drift is listed in `changes` with a note, a
//!   manifest that still asks for an open status included (drift that cannot be repaired, not
//!   an error: nothing else about the plan depends on it).
//! - Tag keys under `sirops:` and `aws:` are never written or removed by an update, whatever the
//!   manifest says; a create adds the ownership and scope tags. Retagging an existing case
//!   (adoption, a rename, a case older than scopes) is the planner's, which knows the binding.
//! - A create's `changes` are one Add per managed field that has a value, the whole value at once.
//! - Values in `changes` use the API's member names and wire values, except that a region is the
//!   plain string the manifest uses, and a tag is `{"key": .., "value": ..}`.

mod create;
pub mod drift;
mod fields;
mod tags;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{CaseStatus, DEFAULT_SCOPE, DesiredCase, LiveCase, ResolverType, SpecField};
use crate::request::{
    CloseCaseInput, Request, TagResourceInput, UntagResourceInput, UpdateCaseInput,
    UpdateCaseStatusInput, UpdateResolverTypeInput,
};
use crate::status::{StatusPathError, shortest_path};

/// How one field changes, for renderers. Values are shown as the API spells them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldChange {
    /// Serialised as the manifest's key: `title`, `watchers`, `tags`, `status`, ...
    pub field: SpecField,
    pub kind: ChangeKind,
    /// The item or value removed or replaced; `None` for an add.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<serde_json::Value>,
    /// The item or value added or the new value; `None` for a removal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<serde_json::Value>,
    /// Who moved the field, when the manifest as last applied is known ([`drift`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<drift::Cause>,
    /// For drift and conflicts: the edits of the live case that explain the field, oldest
    /// first, since the revision last applied was committed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edits: Vec<crate::model::CaseEdit>,
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
    /// In request order: CreateCase or UpdateResolverType, UpdateCase(s), TagResource /
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

/// The client token of a manifest of `scope`: [`client_token`] of the name in the default
/// scope (cases made before scopes existed keep theirs), of `<scope>:<name>` in any other, so
/// that two scopes with a manifest of the same name never send one token for two cases. A
/// colon cannot occur in a scope or a name, so no two pairs share a token.
pub fn scoped_client_token(scope: &str, manifest_name: &str) -> String {
    if scope == DEFAULT_SCOPE {
        client_token(manifest_name)
    } else {
        client_token(&format!("{scope}:{manifest_name}"))
    }
}

/// `live` is `None` when no case is bound yet: the delta then starts with a CreateCase.
///
/// Binding is the caller's business: `desired.case_id` is not read here. When the manifest
/// manages tags, `live.tags` must have been read (`DiffError::TagsNotRead` otherwise).
pub fn diff(desired: &DesiredCase, live: Option<&LiveCase>) -> Result<CaseDelta, DiffError> {
    diff_in_scope(desired, live, DEFAULT_SCOPE)
}

/// [`diff`] for a manifest of `scope`: a create tags the new case with the scope and uses the
/// scope's client token.
pub fn diff_in_scope(
    desired: &DesiredCase,
    live: Option<&LiveCase>,
    scope: &str,
) -> Result<CaseDelta, DiffError> {
    match live {
        None => create::diff_create(desired, scope),
        Some(live) => diff_existing(desired, live),
    }
}

fn diff_existing(desired: &DesiredCase, live: &LiveCase) -> Result<CaseDelta, DiffError> {
    let tag_delta = match (&desired.tags, &live.tags) {
        (None, _) => tags::TagDelta::default(),
        (Some(_), None) => return Err(DiffError::TagsNotRead),
        (Some(desired_tags), Some(live_tags)) => tags::diff_tags(desired_tags, live_tags),
    };
    let field_delta = fields::diff_fields(desired, live);
    let resolver_changes = live.resolver_type != desired.resolver_type;

    let mut changes = field_delta.changes;
    if resolver_changes {
        changes.push(fields::modify(
            SpecField::ResolverType,
            &live.resolver_type,
            &desired.resolver_type,
        ));
    }
    if live.status.is_closed() {
        return Ok(closed_case_drift(desired, live, changes, tag_delta));
    }

    if live.resolver_type == ResolverType::Aws && desired.resolver_type == ResolverType::SelfManaged
    {
        return Err(DiffError::ResolverToSelf);
    }
    // The resolver change comes first, so the status moves under the desired resolver's rules.
    let steps = match desired.status {
        Some(status) => shortest_path(live.status, status, desired.resolver_type)?,
        None => Vec::new(),
    };
    if let Some(&last) = steps.last() {
        changes.push(fields::modify(SpecField::Status, &live.status, &last));
    }
    changes.extend(tag_delta.changes);
    sort_in_manifest_order(&mut changes);

    if field_delta
        .update
        .case_metadata
        .as_ref()
        .is_some_and(Vec::is_empty)
    {
        return Err(DiffError::EmptyCaseMetadata);
    }

    let mut requests = Vec::new();
    if resolver_changes {
        requests.push(Request::UpdateResolverType(UpdateResolverTypeInput {
            case_id: Some(live.case_id.clone()),
            resolver_type: desired.resolver_type,
        }));
    }
    requests.extend(update_requests(
        live,
        [field_delta.update, field_delta.deferred_adds],
    ));
    requests.extend(tag_requests(live, tag_delta.to_set, tag_delta.to_remove));
    requests.extend(status_requests(&steps, Some(live.case_id.clone())));

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

/// Closed is final for the API too: it refuses every write, so differences, a status the
/// manifest still asks for included, are drift that apply will not change.
fn closed_case_drift(
    desired: &DesiredCase,
    live: &LiveCase,
    mut changes: Vec<FieldChange>,
    tag_delta: tags::TagDelta,
) -> CaseDelta {
    let mut notes = Vec::new();
    if let Some(wanted) = desired.status.filter(|status| !status.is_closed()) {
        changes.push(fields::modify(SpecField::Status, &live.status, &wanted));
        notes.push(format!(
            "the case is Closed and a closed case cannot be reopened, but the manifest asks for {wanted}; set `status: Closed` in the manifest to match"
        ));
    }
    changes.extend(tag_delta.changes);
    sort_in_manifest_order(&mut changes);
    if !changes.is_empty() {
        notes.insert(0, CLOSED_CASE_NOTE.to_string());
    }
    CaseDelta {
        changes,
        notes,
        ..CaseDelta::default()
    }
}

/// The UpdateCase with every field delta, then the one with the deferred adds; each only when
/// it carries something.
fn update_requests(live: &LiveCase, updates: [UpdateCaseInput; 2]) -> Vec<Request> {
    updates
        .into_iter()
        .map(|update| UpdateCaseInput {
            case_id: Some(live.case_id.clone()),
            ..update
        })
        .filter(|update| !update.is_empty())
        .map(Request::UpdateCase)
        .collect()
}

fn tag_requests(
    live: &LiveCase,
    to_set: std::collections::BTreeMap<String, String>,
    to_remove: Vec<String>,
) -> Vec<Request> {
    let resource_arn = Some(live.case_arn.clone());
    let mut requests = Vec::new();
    if !to_set.is_empty() {
        requests.push(Request::TagResource(TagResourceInput {
            resource_arn: resource_arn.clone(),
            tags: to_set,
        }));
    }
    if !to_remove.is_empty() {
        requests.push(Request::UntagResource(UntagResourceInput {
            resource_arn,
            tag_keys: to_remove,
        }));
    }
    requests
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

/// Stable, so the items of one field keep the identity order they were produced in.
fn sort_in_manifest_order(changes: &mut [FieldChange]) {
    changes.sort_by_key(|change| change.field);
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::{
        EngagementType, MetadataEntry, OWNERSHIP_TAG_KEY, ThreatActorIp, Timestamp, Watcher,
    };
    use crate::request::ImpactedAwsRegion;
    use CaseStatus::*;

    const ARN: &str = "arn:aws:security-ir:us-east-1:123456789012:case/1234567890";

    fn date(millis: i64) -> Timestamp {
        Timestamp::from_epoch_millis(millis)
    }

    fn watcher(email: &str, name: Option<&str>) -> Watcher {
        Watcher {
            email: email.into(),
            name: name.map(Into::into),
            job_title: None,
        }
    }

    fn map(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// A manifest that manages nothing optional.
    fn desired() -> DesiredCase {
        DesiredCase {
            title: "Phishing".into(),
            description: "Two clerks".into(),
            reported_incident_start_date: date(1_000),
            ..crate::plan::fixtures::desired_case("payroll-phishing")
        }
    }

    /// The live case `desired()` describes, with some unmanaged values of its own.
    fn live() -> LiveCase {
        LiveCase {
            case_id: "1234567890".into(),
            case_arn: ARN.into(),
            title: "Phishing".into(),
            description: "Two clerks".into(),
            status: DetectionAndAnalysis,
            engagement_type: EngagementType::SecurityIncident,
            resolver_type: ResolverType::SelfManaged,
            reported_incident_start_date: Some(date(1_000)),
            actual_incident_start_date: None,
            watchers: vec![watcher("Alice@Example.com", Some("Alice"))],
            threat_actor_ip_addresses: vec![],
            impacted_services: vec!["Amazon S3".into()],
            impacted_aws_regions: vec!["us-east-1".into()],
            impacted_accounts: vec![],
            case_metadata: vec![],
            tags: Some(map(&[
                (OWNERSHIP_TAG_KEY, "payroll-phishing"),
                ("team", "a"),
            ])),
        }
    }

    fn operations(delta: &CaseDelta) -> Vec<&'static str> {
        delta.requests.iter().map(Request::operation).collect()
    }

    fn update_case(request: &Request) -> &UpdateCaseInput {
        match request {
            Request::UpdateCase(input) => input,
            other => panic!("expected UpdateCase, got {other:?}"),
        }
    }

    #[test]
    fn client_token_is_pinned_to_the_documented_formula() {
        assert_eq!(
            client_token("payroll-phishing"),
            "sirops-723ccf50c2a27df879a5f942fbc1e50dbb9bd178166d3d473bcc56d11d137792"
        );
        assert_eq!(
            scoped_client_token(DEFAULT_SCOPE, "payroll-phishing"),
            client_token("payroll-phishing")
        );
        assert_eq!(
            scoped_client_token("team-a", "payroll-phishing"),
            client_token("team-a:payroll-phishing")
        );
        assert_ne!(
            scoped_client_token("team-a", "payroll-phishing"),
            scoped_client_token("team-b", "payroll-phishing")
        );
        assert_ne!(client_token("a"), client_token("b"));
        assert!(client_token(&"x".repeat(63)).len() <= 255);
    }

    #[test]
    fn a_matching_case_needs_nothing() {
        let delta = diff(&desired(), Some(&live())).unwrap();
        assert_eq!(delta, CaseDelta::default());
    }

    #[test]
    fn create_sets_what_it_can_then_updates_then_walks_the_status() {
        let desired = DesiredCase {
            status: Some(PostIncidentActivities),
            actual_incident_start_date: Some(date(500)),
            case_metadata: Some(map(&[("severity", "high"), ("owner", "soc")])),
            tags: Some(map(&[("team", "secops")])),
            impacted_aws_regions: Some(vec!["eu-west-1".into()]),
            ..desired()
        };
        let delta = diff(&desired, None).unwrap();
        assert_eq!(
            operations(&delta),
            [
                "CreateCase",
                "UpdateCase",
                "UpdateCaseStatus",
                "UpdateCaseStatus"
            ]
        );
        let Request::CreateCase(create) = &delta.requests[0] else {
            unreachable!()
        };
        assert_eq!(create.client_token, client_token("payroll-phishing"));
        assert_eq!(
            create.tags,
            map(&[
                ("team", "secops"),
                (OWNERSHIP_TAG_KEY, "payroll-phishing"),
                (crate::model::SCOPE_TAG_KEY, DEFAULT_SCOPE)
            ])
        );
        assert_eq!(create.watchers, vec![]);
        assert_eq!(create.impacted_accounts, Vec::<String>::new());
        assert_eq!(
            create.impacted_aws_regions,
            vec![ImpactedAwsRegion {
                region: "eu-west-1".into()
            }]
        );
        let follow_up = update_case(&delta.requests[1]);
        assert_eq!(follow_up.case_id, None);
        assert_eq!(follow_up.actual_incident_start_date, Some(date(500)));
        assert_eq!(
            follow_up.case_metadata.as_deref().unwrap()[0],
            MetadataEntry {
                key: "owner".into(),
                value: "soc".into()
            },
            "sorted by key"
        );
        assert_eq!(
            delta.status_path,
            [Submitted, DetectionAndAnalysis, PostIncidentActivities]
        );
        assert!(delta.requests[2..].iter().all(|request| matches!(
            request,
            Request::UpdateCaseStatus(UpdateCaseStatusInput { case_id: None, .. })
        )));
        assert!(!delta.irreversible);
    }

    #[test]
    fn a_plain_create_is_one_call() {
        let delta = diff(&desired(), None).unwrap();
        assert_eq!(operations(&delta), ["CreateCase"]);
        assert!(delta.status_path.is_empty());
        assert_eq!(delta.changes[0].field, "title");
        assert!(delta.changes.iter().all(|c| c.kind == ChangeKind::Add));
    }

    #[test]
    fn creating_a_closed_aws_case_closes_it_right_away() {
        let desired = DesiredCase {
            resolver_type: ResolverType::Aws,
            status: Some(Closed),
            ..desired()
        };
        let delta = diff(&desired, None).unwrap();
        assert_eq!(operations(&delta), ["CreateCase", "CloseCase"]);
        assert_eq!(delta.status_path, [Submitted, Closed]);
    }

    #[test]
    fn only_differing_scalars_and_missing_items_are_sent() {
        let desired = DesiredCase {
            title: "Phishing wave".into(),
            impacted_services: Some(vec!["Amazon S3".into(), "AWS IAM".into()]),
            impacted_aws_regions: Some(vec![]),
            ..desired()
        };
        let delta = diff(&desired, Some(&live())).unwrap();
        assert_eq!(
            delta.requests,
            [Request::UpdateCase(UpdateCaseInput {
                case_id: Some("1234567890".into()),
                title: Some("Phishing wave".into()),
                impacted_services_to_add: vec!["AWS IAM".into()],
                impacted_aws_regions_to_delete: vec![ImpactedAwsRegion {
                    region: "us-east-1".into()
                }],
                ..UpdateCaseInput::default()
            })]
        );
        let fields: Vec<_> = delta.changes.iter().map(|c| c.field.name()).collect();
        assert_eq!(fields, ["title", "impactedServices", "impactedAwsRegions"]);
    }

    #[test]
    fn a_watcher_whose_name_changed_is_deleted_then_added_in_a_second_update() {
        let desired = DesiredCase {
            title: "Phishing wave".into(),
            watchers: Some(vec![
                watcher("alice@example.com", Some("Alice Doe")),
                watcher("bob@example.com", None),
            ]),
            ..desired()
        };
        let delta = diff(&desired, Some(&live())).unwrap();
        assert_eq!(operations(&delta), ["UpdateCase", "UpdateCase"]);
        let first = update_case(&delta.requests[0]);
        assert_eq!(first.title.as_deref(), Some("Phishing wave"));
        assert_eq!(
            first.watchers_to_delete,
            [watcher("Alice@Example.com", Some("Alice"))],
            "the live item as is"
        );
        assert_eq!(first.watchers_to_add, [watcher("bob@example.com", None)]);
        let second = update_case(&delta.requests[1]);
        assert_eq!(
            *second,
            UpdateCaseInput {
                case_id: Some("1234567890".into()),
                watchers_to_add: vec![watcher("alice@example.com", Some("Alice Doe"))],
                ..UpdateCaseInput::default()
            }
        );
        let kinds: Vec<_> = delta
            .changes
            .iter()
            .filter(|c| c.field == "watchers")
            .map(|c| c.kind)
            .collect();
        assert_eq!(kinds, [ChangeKind::Modify, ChangeKind::Add]);
    }

    fn ip(address: &str, user_agent: Option<&str>) -> ThreatActorIp {
        ThreatActorIp {
            ip_address: address.into(),
            user_agent: user_agent.map(Into::into),
        }
    }

    #[test]
    fn an_ip_whose_user_agent_changed_is_deleted_then_added_in_a_second_update() {
        let mut live = live();
        live.threat_actor_ip_addresses = vec![
            ip("198.51.100.7", Some("curl/8.4.0")),
            ip("203.0.113.9", None),
        ];
        let desired = DesiredCase {
            threat_actor_ip_addresses: Some(vec![
                ip("198.51.100.7", Some("python-requests/2.31")),
                ip("203.0.113.9", None),
                ip("192.0.2.1", None),
            ]),
            ..desired()
        };
        let delta = diff(&desired, Some(&live)).unwrap();
        assert_eq!(operations(&delta), ["UpdateCase", "UpdateCase"]);
        let first = update_case(&delta.requests[0]);
        assert_eq!(
            first.threat_actor_ip_addresses_to_delete,
            [ip("198.51.100.7", Some("curl/8.4.0"))]
        );
        assert_eq!(
            first.threat_actor_ip_addresses_to_add,
            [ip("192.0.2.1", None)],
            "an address nothing deletes goes in the first call"
        );
        assert_eq!(
            *update_case(&delta.requests[1]),
            UpdateCaseInput {
                case_id: Some("1234567890".into()),
                threat_actor_ip_addresses_to_add: vec![ip(
                    "198.51.100.7",
                    Some("python-requests/2.31")
                )],
                ..UpdateCaseInput::default()
            }
        );
        let kinds: Vec<_> = delta.changes.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [ChangeKind::Add, ChangeKind::Remove, ChangeKind::Add],
            "the plan still shows one removal and two additions"
        );
    }

    fn numbered_watchers(prefix: &str, numbers: std::ops::Range<usize>) -> Vec<Watcher> {
        numbers
            .map(|n| watcher(&format!("{prefix}{n:02}@example.com"), None))
            .collect()
    }

    #[test]
    fn replacing_five_of_thirty_watchers_deletes_first_and_adds_in_a_second_update() {
        let mut live = live();
        live.watchers = numbered_watchers("old", 0..30);
        live.impacted_services = vec!["Amazon S3".into()];
        let mut wanted = numbered_watchers("old", 0..25);
        wanted.extend(numbered_watchers("new", 0..5));
        let desired = DesiredCase {
            title: "Phishing wave".into(),
            watchers: Some(wanted),
            impacted_services: Some(vec!["AWS IAM".into()]),
            ..desired()
        };
        let delta = diff(&desired, Some(&live)).unwrap();
        assert_eq!(operations(&delta), ["UpdateCase", "UpdateCase"]);
        let first = update_case(&delta.requests[0]);
        assert_eq!(
            *first,
            UpdateCaseInput {
                case_id: Some("1234567890".into()),
                title: Some("Phishing wave".into()),
                watchers_to_delete: numbered_watchers("old", 25..30),
                impacted_services_to_add: vec!["AWS IAM".into()],
                impacted_services_to_delete: vec!["Amazon S3".into()],
                ..UpdateCaseInput::default()
            },
            "30 live watchers plus 5 would be 35: the watchers' adds wait, nothing else does"
        );
        assert_eq!(
            *update_case(&delta.requests[1]),
            UpdateCaseInput {
                case_id: Some("1234567890".into()),
                watchers_to_add: numbered_watchers("new", 0..5),
                ..UpdateCaseInput::default()
            }
        );
        let watcher_changes = delta
            .changes
            .iter()
            .filter(|c| c.field == "watchers")
            .count();
        assert_eq!(watcher_changes, 10);
    }

    #[test]
    fn replacing_watchers_with_room_to_spare_is_one_update() {
        let mut live = live();
        live.watchers = numbered_watchers("old", 0..25);
        let mut wanted = numbered_watchers("old", 0..20);
        wanted.extend(numbered_watchers("new", 0..5));
        let desired = DesiredCase {
            watchers: Some(wanted),
            ..desired()
        };
        let delta = diff(&desired, Some(&live)).unwrap();
        assert_eq!(
            delta.requests,
            [Request::UpdateCase(UpdateCaseInput {
                case_id: Some("1234567890".into()),
                watchers_to_add: numbered_watchers("new", 0..5),
                watchers_to_delete: numbered_watchers("old", 20..25),
                ..UpdateCaseInput::default()
            })],
            "25 live watchers plus 5 is 30, within the limit even with the adds first"
        );
    }

    #[test]
    fn a_watcher_email_differing_only_in_case_is_the_same_watcher() {
        let desired = DesiredCase {
            watchers: Some(vec![watcher("alice@EXAMPLE.com", Some("Alice"))]),
            ..desired()
        };
        assert_eq!(diff(&desired, Some(&live())).unwrap(), CaseDelta::default());
    }

    #[test]
    fn tags_never_touch_reserved_keys_and_must_have_been_read() {
        let mut live = live();
        live.tags
            .as_mut()
            .unwrap()
            .insert("sirops:other".into(), "x".into());
        let desired = DesiredCase {
            tags: Some(map(&[("env", "prod")])),
            ..desired()
        };
        let delta = diff(&desired, Some(&live)).unwrap();
        assert_eq!(
            delta.requests,
            [
                Request::TagResource(TagResourceInput {
                    resource_arn: Some(ARN.into()),
                    tags: map(&[("env", "prod")]),
                }),
                Request::UntagResource(UntagResourceInput {
                    resource_arn: Some(ARN.into()),
                    tag_keys: vec!["team".into()],
                }),
            ]
        );
        let emptied = DesiredCase {
            tags: Some(BTreeMap::new()),
            ..desired.clone()
        };
        let delta = diff(&emptied, Some(&live)).unwrap();
        assert_eq!(operations(&delta), ["UntagResource"]);

        live.tags = None;
        assert_eq!(diff(&desired, Some(&live)), Err(DiffError::TagsNotRead));
    }

    #[test]
    fn a_closed_case_gets_no_writes_but_its_drift_is_reported() {
        let live = LiveCase {
            status: Closed,
            ..live()
        };
        for status in [None, Some(Closed)] {
            let desired = DesiredCase {
                title: "Changed".into(),
                status,
                tags: Some(BTreeMap::new()),
                ..desired()
            };
            let delta = diff(&desired, Some(&live)).unwrap();
            assert!(delta.requests.is_empty());
            assert!(delta.status_path.is_empty());
            assert_eq!(delta.changes.len(), 2, "title and the team tag");
            assert_eq!(delta.notes, [CLOSED_CASE_NOTE]);
        }
        let reopen = DesiredCase {
            status: Some(DetectionAndAnalysis),
            ..desired()
        };
        let delta = diff(&reopen, Some(&live)).unwrap();
        assert!(delta.requests.is_empty(), "a closed case is never written");
        assert_eq!(
            delta.changes,
            [fields::modify(
                SpecField::Status,
                &Closed,
                &DetectionAndAnalysis
            )]
        );
        assert_eq!(delta.notes[0], CLOSED_CASE_NOTE);
        assert!(
            delta.notes[1].contains("cannot be reopened"),
            "{:?}",
            delta.notes
        );
        let handed_back = DesiredCase {
            resolver_type: ResolverType::SelfManaged,
            ..desired()
        };
        let aws_closed = LiveCase {
            resolver_type: ResolverType::Aws,
            ..live.clone()
        };
        assert!(
            diff(&handed_back, Some(&aws_closed))
                .unwrap()
                .requests
                .is_empty(),
            "a closed case's resolver cannot go back either, but that is drift too"
        );
    }

    #[test]
    fn closing_updates_the_record_first_and_uses_close_case() {
        let desired = DesiredCase {
            title: "Final title".into(),
            status: Some(Closed),
            ..desired()
        };
        let delta = diff(&desired, Some(&live())).unwrap();
        assert_eq!(operations(&delta), ["UpdateCase", "CloseCase"]);
        assert_eq!(delta.status_path, [DetectionAndAnalysis, Closed]);
    }

    #[test]
    fn handing_over_to_aws_comes_first_is_irreversible_and_the_way_back_is_refused() {
        let desired = DesiredCase {
            resolver_type: ResolverType::Aws,
            status: Some(Closed),
            title: "Handed over".into(),
            tags: Some(map(&[("team", "b")])),
            ..desired()
        };
        let delta = diff(&desired, Some(&live())).unwrap();
        assert_eq!(
            operations(&delta),
            [
                "UpdateResolverType",
                "UpdateCase",
                "TagResource",
                "CloseCase"
            ]
        );
        assert!(delta.irreversible);
        let fields: Vec<_> = delta.changes.iter().map(|c| c.field.name()).collect();
        assert_eq!(fields, ["title", "resolverType", "status", "tags"]);

        let aws_live = LiveCase {
            resolver_type: ResolverType::Aws,
            ..live()
        };
        assert_eq!(
            diff(&super::tests::desired(), Some(&aws_live)),
            Err(DiffError::ResolverToSelf)
        );
    }

    #[test]
    fn after_handing_over_the_status_follows_the_aws_rules() {
        let desired = DesiredCase {
            resolver_type: ResolverType::Aws,
            status: Some(PostIncidentActivities),
            ..desired()
        };
        assert_eq!(
            diff(&desired, Some(&live())),
            Err(DiffError::Status(StatusPathError::AwsResolverStatus {
                desired: PostIncidentActivities
            }))
        );
    }

    #[test]
    fn case_metadata_is_replaced_whole_only_when_it_differs_and_never_emptied() {
        let mut live = live();
        live.case_metadata = vec![MetadataEntry {
            key: "severity".into(),
            value: "high".into(),
        }];
        let same = DesiredCase {
            case_metadata: Some(map(&[("severity", "high")])),
            ..desired()
        };
        assert!(diff(&same, Some(&live)).unwrap().requests.is_empty());
        let more = DesiredCase {
            case_metadata: Some(map(&[("severity", "high"), ("owner", "soc")])),
            ..desired()
        };
        let delta = diff(&more, Some(&live)).unwrap();
        assert_eq!(
            update_case(&delta.requests[0])
                .case_metadata
                .as_ref()
                .unwrap()
                .len(),
            2
        );
        let emptied = DesiredCase {
            case_metadata: Some(BTreeMap::new()),
            ..desired()
        };
        assert_eq!(
            diff(&emptied, Some(&live)),
            Err(DiffError::EmptyCaseMetadata)
        );
    }
}
