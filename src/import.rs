//! Adoption: a manifest that describes an existing case exactly as it is, bound by
//! `metadata.caseId`, so that planning it right after import shows no change.

use serde_yaml::{Mapping, Value};

use crate::model::{CaseStatus, LiveCase, RESERVED_TAG_PREFIX, ResolverType};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error(
        "case {case_id} has no reportedIncidentStartDate, which a manifest requires; add one in the console first"
    )]
    MissingReportedDate { case_id: String },
}

/// The manifest name for an imported case: the one in its ownership tag, else `case-<id>`.
pub fn manifest_name(live: &LiveCase) -> String {
    match live.owner_name() {
        Some(name) => name.to_string(),
        None => format!("case-{}", live.case_id.to_lowercase()),
    }
}

/// The manifest text for a live case whose tags were read.
pub fn manifest_for(live: &LiveCase) -> Result<String, ImportError> {
    let reported =
        live.reported_incident_start_date
            .ok_or_else(|| ImportError::MissingReportedDate {
                case_id: live.case_id.clone(),
            })?;

    let mut metadata = Mapping::new();
    metadata.insert("name".into(), manifest_name(live).into());
    metadata.insert("caseId".into(), live.case_id.clone().into());

    let mut spec = Mapping::new();
    spec.insert("title".into(), live.title.clone().into());
    spec.insert("description".into(), live.description.clone().into());
    spec.insert(
        "engagementType".into(),
        live.engagement_type.as_str().into(),
    );
    spec.insert("resolverType".into(), live.resolver_type.as_str().into());
    if let Some(status) = manageable_status(live) {
        spec.insert("status".into(), status.as_str().into());
    }
    spec.insert(
        "reportedIncidentStartDate".into(),
        reported.to_rfc3339().into(),
    );
    if let Some(actual) = live.actual_incident_start_date {
        spec.insert("actualIncidentStartDate".into(), actual.to_rfc3339().into());
    }
    spec.insert("watchers".into(), to_value(&live.watchers));
    spec.insert(
        "threatActorIpAddresses".into(),
        to_value(&live.threat_actor_ip_addresses),
    );
    spec.insert("impactedServices".into(), to_value(&live.impacted_services));
    spec.insert(
        "impactedAwsRegions".into(),
        to_value(&live.impacted_aws_regions),
    );
    spec.insert("impactedAccounts".into(), to_value(&live.impacted_accounts));
    if !live.case_metadata.is_empty() {
        let entries: Mapping = live
            .case_metadata
            .iter()
            .map(|entry| (entry.key.clone().into(), entry.value.clone().into()))
            .collect();
        spec.insert("caseMetadata".into(), Value::Mapping(entries));
    }
    let user_tags: Mapping = live
        .tags
        .iter()
        .flatten()
        .filter(|(key, _)| !key.starts_with(RESERVED_TAG_PREFIX))
        .map(|(key, value)| (key.clone().into(), value.clone().into()))
        .collect();
    if !user_tags.is_empty() {
        spec.insert("tags".into(), Value::Mapping(user_tags));
    }

    let mut document = Mapping::new();
    document.insert("apiVersion".into(), "sirops/v1".into());
    document.insert("kind".into(), "Case".into());
    document.insert("metadata".into(), Value::Mapping(metadata));
    document.insert("spec".into(), Value::Mapping(spec));
    let body = serde_yaml::to_string(&Value::Mapping(document))
        .expect("a mapping of strings always serialises");
    Ok(format!(
        "# yaml-language-server: $schema=../schemas/case.schema.json\n# Imported from case {}.\n{body}",
        live.case_id
    ))
}

/// The status a manifest may state for this case; `None` leaves it unmanaged where the
/// manifest could not legally ask for the live value (AWS-driven cases and AWS-only statuses).
fn manageable_status(live: &LiveCase) -> Option<CaseStatus> {
    match (live.resolver_type, live.status) {
        (_, CaseStatus::Closed) => Some(CaseStatus::Closed),
        (ResolverType::Aws, _) => None,
        (_, CaseStatus::Acknowledged | CaseStatus::ReadyToClose) => None,
        (ResolverType::SelfManaged, status) => Some(status),
    }
}

fn to_value<T: serde::Serialize>(value: &T) -> Value {
    serde_yaml::to_value(value).expect("model values always serialise")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EngagementType, MetadataEntry, ThreatActorIp, Timestamp, Watcher};
    use std::collections::BTreeMap;

    fn live() -> LiveCase {
        LiveCase {
            case_id: "1234567890".into(),
            case_arn: "arn:aws:security-ir:us-east-1:123456789012:case/1234567890".into(),
            title: "Phishing: payroll".into(),
            description: "line one\nline two\n".into(),
            status: CaseStatus::DetectionAndAnalysis,
            engagement_type: EngagementType::SecurityIncident,
            resolver_type: ResolverType::SelfManaged,
            reported_incident_start_date: Some(Timestamp::from_epoch_millis(1_763_625_600_000)),
            actual_incident_start_date: None,
            watchers: vec![Watcher {
                email: "alice@example.com".into(),
                name: Some("Alice".into()),
                job_title: None,
            }],
            threat_actor_ip_addresses: vec![ThreatActorIp {
                ip_address: "198.51.100.7".into(),
                user_agent: None,
            }],
            impacted_services: vec!["Amazon S3".into()],
            impacted_aws_regions: vec!["us-east-1".into()],
            impacted_accounts: vec!["000123456789".into()],
            case_metadata: vec![MetadataEntry {
                key: "severity".into(),
                value: "high".into(),
            }],
            tags: Some(BTreeMap::from([
                ("sirops:name".to_string(), "payroll".to_string()),
                ("team".to_string(), "secops".to_string()),
            ])),
        }
    }

    #[test]
    fn imported_manifest_keeps_every_live_value_and_drops_reserved_tags() {
        let text = manifest_for(&live()).unwrap();
        let document: Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(document["metadata"]["name"], "payroll");
        assert_eq!(document["metadata"]["caseId"], "1234567890");
        assert_eq!(document["spec"]["status"], "Detection and Analysis");
        assert_eq!(document["spec"]["description"], "line one\nline two\n");
        assert_eq!(document["spec"]["impactedAccounts"][0], "000123456789");
        assert_eq!(document["spec"]["tags"]["team"], "secops");
        assert!(document["spec"]["tags"].get("sirops:name").is_none());
        assert_eq!(
            document["spec"]["reportedIncidentStartDate"],
            "2025-11-20T08:00:00Z"
        );
    }

    #[test]
    fn aws_driven_status_is_left_unmanaged() {
        let mut case = live();
        case.resolver_type = ResolverType::Aws;
        case.status = CaseStatus::Acknowledged;
        let document: Value = serde_yaml::from_str(&manifest_for(&case).unwrap()).unwrap();
        assert!(document["spec"].get("status").is_none());
        case.tags = None;
        assert_eq!(manifest_name(&case), "case-1234567890");
    }
}
