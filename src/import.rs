//! Adoption: a manifest that describes an existing case exactly as it is, bound by
//! `metadata.caseId`, so that planning it right after import shows no change.

use std::collections::{BTreeMap, HashMap};

use crate::manifest::{CaseManifest, is_valid_manifest_name};
use crate::model::{CaseStatus, DesiredCase, LiveCase, ResolverType, limits, user_tags};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error(
        "case {case_id} has no reportedIncidentStartDate, which a manifest requires; add one in the console first"
    )]
    MissingReportedDate { case_id: String },
    #[error("cases {first} and {second} would both be written to {file_name}; nothing was written")]
    SameFile {
        file_name: String,
        first: String,
        second: String,
    },
}

/// The manifest name for an imported case: the one in its ownership tag when that is a valid
/// manifest name, else `case-<id>` made into one. The name is also the file name, and tags are
/// anyone's to set, so only a valid name (no `/`, no `..`) ever reaches the file system.
pub fn manifest_name(live: &LiveCase) -> String {
    match live.owner_name() {
        Some(name) if is_valid_manifest_name(name) => name.to_string(),
        _ => name_from_case_id(&live.case_id),
    }
}

/// `case-<id>` as a valid manifest name: lowercase, each run of other characters one `-`, cut
/// to the name limit and ending in a letter or digit.
fn name_from_case_id(case_id: &str) -> String {
    let mut name = String::from("case-");
    for character in case_id.chars() {
        if name.len() >= limits::NAME_MAX {
            break;
        }
        let character = character.to_ascii_lowercase();
        if character.is_ascii_lowercase() || character.is_ascii_digit() {
            name.push(character);
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    name.trim_end_matches('-').to_string()
}

/// The file each case is written to, in the order given, each case once: the same id asked for
/// twice is one import. Two cases that would share a file are refused before anything is
/// written.
pub fn file_names(cases: &[LiveCase]) -> Result<Vec<(String, &LiveCase)>, ImportError> {
    let mut by_file: HashMap<String, &str> = HashMap::new();
    let mut files = Vec::with_capacity(cases.len());
    for case in cases {
        let file_name = format!("{}.yaml", manifest_name(case));
        match by_file.get(&file_name) {
            Some(first) if *first == case.case_id => {}
            Some(first) => {
                return Err(ImportError::SameFile {
                    file_name,
                    first: first.to_string(),
                    second: case.case_id.clone(),
                });
            }
            None => {
                by_file.insert(file_name.clone(), &case.case_id);
                files.push((file_name, case));
            }
        }
    }
    Ok(files)
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
    let user_tags = live.tags.as_ref().map(user_tags).unwrap_or_default();
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
        assert!(document["metadata"].get("previousNames").is_none());
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

    fn tagged(case_id: &str, owner: &str) -> LiveCase {
        let mut case = live();
        case.case_id = case_id.into();
        case.tags = Some(BTreeMap::from([(
            crate::model::OWNERSHIP_TAG_KEY.to_string(),
            owner.to_string(),
        )]));
        case
    }

    #[test]
    fn only_a_valid_manifest_name_from_the_tag_names_the_file() {
        assert_eq!(manifest_name(&tagged("1234567890", "payroll")), "payroll");
        for unsafe_tag in [
            "../../x",
            "/etc/passwd",
            "a/b",
            "..",
            "Payroll",
            "",
            "-x",
            &"a".repeat(64),
        ] {
            assert_eq!(
                manifest_name(&tagged("1234567890", unsafe_tag)),
                "case-1234567890",
                "{unsafe_tag:?}"
            );
        }
    }

    #[test]
    fn a_case_id_is_made_into_a_valid_manifest_name() {
        let mut case = live();
        for (case_id, expected) in [
            ("1234567890", "case-1234567890"),
            ("1234567890ABC/../x", "case-1234567890abc-x"),
            ("1234567890-é-", "case-1234567890"),
            ("", "case"),
        ] {
            case.case_id = case_id.into();
            case.tags = None;
            assert_eq!(manifest_name(&case), expected, "{case_id:?}");
        }
        case.case_id = format!("{}{}", "1".repeat(32), "x".repeat(100));
        let name = manifest_name(&case);
        assert_eq!(name.len(), limits::NAME_MAX);
        assert!(is_valid_manifest_name(&name));
        case.case_id = format!("{}/{}", "1".repeat(57), "x".repeat(10));
        assert_eq!(manifest_name(&case), format!("case-{}", "1".repeat(57)));
    }

    #[test]
    fn cases_sharing_a_file_are_refused_and_a_repeated_case_is_written_once() {
        let first = tagged("1111111111", "payroll");
        let again = tagged("1111111111", "payroll");
        let other = tagged("2222222222", "team");
        let batch = [first.clone(), other.clone(), again];
        let files = file_names(&batch).unwrap();
        let names: Vec<(&str, &str)> = files
            .iter()
            .map(|(file, case)| (file.as_str(), case.case_id.as_str()))
            .collect();
        assert_eq!(
            names,
            [("payroll.yaml", "1111111111"), ("team.yaml", "2222222222")]
        );

        let clash = tagged("3333333333", "payroll");
        assert_eq!(
            file_names(&[first, other, clash]),
            Err(ImportError::SameFile {
                file_name: "payroll.yaml".into(),
                first: "1111111111".into(),
                second: "3333333333".into(),
            })
        );
        // A tag may spell another case's fallback name.
        let mut untagged = live();
        untagged.tags = None;
        let posing = tagged("4444444444", "case-1234567890");
        assert!(matches!(
            file_names(&[untagged, posing]),
            Err(ImportError::SameFile { .. })
        ));
    }
}
