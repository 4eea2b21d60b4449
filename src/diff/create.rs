//! The delta of a manifest with no bound case: CreateCase with everything it can carry, then the
//! calls for what it cannot (caseMetadata, actualIncidentStartDate, the status), all addressed to
//! the case the create makes (`caseId: null` until apply knows it).

use serde::Serialize;
use serde_json::Value;

use super::fields::{item_change, metadata_entries, to_json};
use super::{CaseDelta, DiffError, FieldChange, scoped_client_token, status_requests};
use crate::model::{
    CaseStatus, DesiredCase, OWNERSHIP_TAG_KEY, SCOPE_TAG_KEY, SpecField, user_tags,
};
use crate::request::{CreateCaseInput, ImpactedAwsRegion, Request, UpdateCaseInput};
use crate::status::shortest_path;

pub(crate) fn diff_create(desired: &DesiredCase, scope: &str) -> Result<CaseDelta, DiffError> {
    // A new case starts Submitted, whoever resolves it.
    let steps = match desired.status {
        Some(status) => shortest_path(CaseStatus::Submitted, status, desired.resolver_type)?,
        None => Vec::new(),
    };
    let mut requests = vec![Request::CreateCase(create_input(desired, scope))];
    requests.extend(follow_up(desired));
    requests.extend(status_requests(&steps, None));

    let status_path = if steps.is_empty() {
        Vec::new()
    } else {
        std::iter::once(CaseStatus::Submitted)
            .chain(steps.iter().copied())
            .collect()
    };
    Ok(CaseDelta {
        requests,
        status_path,
        changes: creation_changes(desired),
        irreversible: false,
        notes: Vec::new(),
    })
}

fn create_input(desired: &DesiredCase, scope: &str) -> CreateCaseInput {
    // The ownership and scope tags ride on CreateCase so the case never exists without them.
    let mut tags = desired.tags.as_ref().map(user_tags).unwrap_or_default();
    tags.insert(OWNERSHIP_TAG_KEY.to_string(), desired.name.clone());
    tags.insert(SCOPE_TAG_KEY.to_string(), scope.to_string());

    CreateCaseInput {
        client_token: scoped_client_token(scope, &desired.name),
        resolver_type: desired.resolver_type,
        title: desired.title.clone(),
        description: desired.description.clone(),
        engagement_type: desired.engagement_type,
        reported_incident_start_date: desired.reported_incident_start_date,
        impacted_accounts: desired.impacted_accounts.clone().unwrap_or_default(),
        watchers: desired.watchers.clone().unwrap_or_default(),
        threat_actor_ip_addresses: desired
            .threat_actor_ip_addresses
            .clone()
            .unwrap_or_default(),
        impacted_services: desired.impacted_services.clone().unwrap_or_default(),
        impacted_aws_regions: desired
            .impacted_aws_regions
            .iter()
            .flatten()
            .map(|region| ImpactedAwsRegion {
                region: region.clone(),
            })
            .collect(),
        tags,
    }
}

/// What CreateCase cannot carry, set by an UpdateCase right after it.
fn follow_up(desired: &DesiredCase) -> Option<Request> {
    // An empty caseMetadata map already matches a new case's (empty) metadata.
    let follow_up = UpdateCaseInput {
        case_id: None,
        actual_incident_start_date: desired.actual_incident_start_date,
        case_metadata: desired
            .case_metadata
            .as_ref()
            .filter(|metadata| !metadata.is_empty())
            .map(metadata_entries),
        ..UpdateCaseInput::default()
    };
    (!follow_up.is_empty()).then_some(Request::UpdateCase(follow_up))
}

/// One Add per managed field that has a value, the whole value at once: a new case has no
/// items to compare, and one line per field keeps the plan of a large create readable.
fn creation_changes(desired: &DesiredCase) -> Vec<FieldChange> {
    SpecField::ALL
        .into_iter()
        .filter_map(|field| {
            let value = creation_value(desired, field)?;
            Some(item_change(field, None, Some(&value)))
        })
        .collect()
}

/// A field's value in a new case's changes; `None` for a field the manifest leaves unset or
/// empty.
fn creation_value(desired: &DesiredCase, field: SpecField) -> Option<Value> {
    fn list<T: Serialize>(items: &Option<Vec<T>>) -> Option<Value> {
        items
            .as_ref()
            .filter(|items| !items.is_empty())
            .map(to_json)
    }
    match field {
        SpecField::Title => Some(to_json(&desired.title)),
        SpecField::Description => Some(to_json(&desired.description)),
        SpecField::EngagementType => Some(to_json(&desired.engagement_type)),
        SpecField::ResolverType => Some(to_json(&desired.resolver_type)),
        SpecField::Status => desired.status.map(|status| to_json(&status)),
        SpecField::ReportedIncidentStartDate => {
            Some(to_json(&desired.reported_incident_start_date))
        }
        SpecField::ActualIncidentStartDate => desired
            .actual_incident_start_date
            .map(|date| to_json(&date)),
        SpecField::Watchers => list(&desired.watchers),
        SpecField::ThreatActorIpAddresses => list(&desired.threat_actor_ip_addresses),
        SpecField::ImpactedServices => list(&desired.impacted_services),
        SpecField::ImpactedAwsRegions => list(&desired.impacted_aws_regions),
        SpecField::ImpactedAccounts => list(&desired.impacted_accounts),
        SpecField::CaseMetadata => desired
            .case_metadata
            .as_ref()
            .filter(|metadata| !metadata.is_empty())
            .map(to_json),
        SpecField::Tags => {
            // The manifest's tags as they will be written (the ownership tag shows in the
            // request).
            let tags = desired.tags.as_ref().map(user_tags).unwrap_or_default();
            (!tags.is_empty()).then(|| to_json(&tags))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::{CaseStatus, ThreatActorIp, Watcher};
    use crate::plan::fixtures;

    fn every_field_set() -> DesiredCase {
        let one = |key: &str| BTreeMap::from([(key.to_string(), "v".to_string())]);
        DesiredCase {
            status: Some(CaseStatus::DetectionAndAnalysis),
            actual_incident_start_date: Some(fixtures::date()),
            watchers: Some(vec![Watcher {
                email: "ann@example.com".into(),
                name: None,
                job_title: None,
            }]),
            threat_actor_ip_addresses: Some(vec![ThreatActorIp {
                ip_address: "198.51.100.7".into(),
                user_agent: None,
            }]),
            impacted_services: Some(vec!["Amazon S3".into()]),
            impacted_aws_regions: Some(vec!["eu-west-1".into()]),
            impacted_accounts: Some(vec!["000123456789".into()]),
            case_metadata: Some(one("ticket")),
            tags: Some(one("team")),
            ..fixtures::desired_case("every-field")
        }
    }

    #[test]
    fn create_case_sends_exactly_the_fields_defined_as_sent_on_create() {
        let delta = diff_create(&every_field_set(), "default").unwrap();
        let Some(Request::CreateCase(create)) = delta.requests.first() else {
            panic!("a create starts with CreateCase: {:?}", delta.requests);
        };
        let input = serde_json::to_value(create).unwrap();
        let sent: Vec<&str> = SpecField::names()
            .iter()
            .copied()
            .filter(|name| input.get(name).is_some())
            .collect();
        let defined: Vec<&str> = SpecField::ALL
            .into_iter()
            .filter(|field| field.definition().sent_on_create)
            .map(SpecField::name)
            .collect();
        assert_eq!(sent, defined);
        let members = input.as_object().unwrap().len();
        assert_eq!(members, defined.len() + 1, "and clientToken: {input}");
    }

    #[test]
    fn a_create_lists_every_field_it_sets_in_manifest_order() {
        let delta = diff_create(&every_field_set(), "default").unwrap();
        let fields: Vec<SpecField> = delta.changes.iter().map(|change| change.field).collect();
        assert_eq!(fields, SpecField::ALL);
    }
}
