//! Adoption: a manifest that describes an existing case exactly as it is, bound by
//! `metadata.caseId`, so that planning it right after import shows no change.

use std::collections::BTreeMap;

use crate::manifest::CaseManifest;
use crate::model::{CaseStatus, DesiredCase, LiveCase, ResolverType, is_reserved_tag_key};

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

/// What a manifest must ask for so that planning it against `live` shows no change: every
/// list managed as it is, metadata and non-reserved tags when there are any.
pub fn desired_for(live: &LiveCase) -> Result<DesiredCase, ImportError> {
    let reported =
        live.reported_incident_start_date
            .ok_or_else(|| ImportError::MissingReportedDate {
                case_id: live.case_id.clone(),
            })?;
    let case_metadata: BTreeMap<String, String> = live
        .case_metadata
        .iter()
        .map(|entry| (entry.key.clone(), entry.value.clone()))
        .collect();
    let user_tags: BTreeMap<String, String> = live
        .tags
        .iter()
        .flatten()
        .filter(|(key, _)| !is_reserved_tag_key(key))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    Ok(DesiredCase {
        name: manifest_name(live),
        case_id: Some(live.case_id.clone()),
        previous_names: Vec::new(),
        title: live.title.clone(),
        description: live.description.clone(),
        engagement_type: live.engagement_type,
        resolver_type: live.resolver_type,
        status: manageable_status(live),
        reported_incident_start_date: reported,
        actual_incident_start_date: live.actual_incident_start_date,
        watchers: Some(live.watchers.clone()),
        threat_actor_ip_addresses: Some(live.threat_actor_ip_addresses.clone()),
        impacted_services: Some(live.impacted_services.clone()),
        impacted_aws_regions: Some(live.impacted_aws_regions.clone()),
        impacted_accounts: Some(live.impacted_accounts.clone()),
        case_metadata: (!case_metadata.is_empty()).then_some(case_metadata),
        tags: (!user_tags.is_empty()).then_some(user_tags),
    })
}

/// The manifest text for a live case whose tags were read, written through the same
/// `CaseManifest` type the schema is generated from.
pub fn manifest_for(live: &LiveCase) -> Result<String, ImportError> {
    let manifest = CaseManifest::from_desired(&desired_for(live)?);
    let body = serde_yaml::to_string(&manifest).expect("a manifest always serialises");
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EngagementType, MetadataEntry, ThreatActorIp, Timestamp, Watcher};
    use serde_yaml::Value;

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
