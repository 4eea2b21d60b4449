//! Test values shared by the plan's tests: small cases and a hand-made plan that exercises every
//! action, so the renderers can be tested without going through `diff`.

use std::collections::BTreeMap;

use serde_json::json;

use crate::diff::{ChangeKind, FieldChange};
use crate::model::{
    CaseStatus, DEFAULT_SCOPE, DesiredCase, EngagementType, LiveCase, OWNERSHIP_TAG_KEY,
    ResolverType, SCOPE_TAG_KEY, ThreatActorIp, Timestamp, Watcher,
};
use crate::request::{
    CloseCaseInput, CreateCaseInput, Request, TagResourceInput, UpdateCaseInput,
    UpdateCaseStatusInput, UpdateResolverTypeInput,
};

use super::{Action, Adoption, CasePlan, Plan};

pub(crate) fn date() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-20T08:00:00Z").unwrap()
}

pub(crate) fn desired_case(name: &str) -> DesiredCase {
    DesiredCase {
        name: name.into(),
        case_id: None,
        previous_names: Vec::new(),
        title: "Phishing against the payroll team".into(),
        description: "Credential phishing wave reported by two payroll clerks.\n".into(),
        engagement_type: EngagementType::SecurityIncident,
        resolver_type: ResolverType::SelfManaged,
        status: None,
        reported_incident_start_date: date(),
        actual_incident_start_date: None,
        watchers: None,
        threat_actor_ip_addresses: None,
        impacted_services: None,
        impacted_aws_regions: None,
        impacted_accounts: None,
        case_metadata: None,
        tags: None,
    }
}

pub(crate) fn live_case(case_id: &str, owner: &str, status: CaseStatus) -> LiveCase {
    LiveCase {
        case_id: case_id.into(),
        case_arn: format!("arn:aws:security-ir:us-east-1:123456789012:case/{case_id}"),
        title: "An old case".into(),
        description: "Nobody remembers.".into(),
        status,
        engagement_type: EngagementType::Investigation,
        resolver_type: ResolverType::SelfManaged,
        reported_incident_start_date: Some(date()),
        actual_incident_start_date: None,
        watchers: vec![],
        threat_actor_ip_addresses: vec![],
        impacted_services: vec![],
        impacted_aws_regions: vec![],
        impacted_accounts: vec![],
        case_metadata: vec![],
        tags: Some(BTreeMap::from([
            (OWNERSHIP_TAG_KEY.into(), owner.into()),
            (SCOPE_TAG_KEY.into(), DEFAULT_SCOPE.into()),
        ])),
    }
}

/// The live case a freshly applied `desired` would be, status Submitted.
pub(crate) fn live_matching(desired: &DesiredCase, case_id: &str) -> LiveCase {
    let mut live = live_case(case_id, &desired.name, CaseStatus::Submitted);
    live.title = desired.title.clone();
    live.description = desired.description.clone();
    live.engagement_type = desired.engagement_type;
    live.resolver_type = desired.resolver_type;
    live.reported_incident_start_date = Some(desired.reported_incident_start_date);
    live.actual_incident_start_date = desired.actual_incident_start_date;
    live
}

pub(crate) fn create_request(name: &str) -> Request {
    Request::CreateCase(CreateCaseInput {
        client_token: format!("sirops-{name}"),
        resolver_type: ResolverType::SelfManaged,
        title: "Suspicious logins from a Tor exit".into(),
        description: "Console logins for carol@example.com from 203.0.113.9.\nStill open.\n".into(),
        engagement_type: EngagementType::Investigation,
        reported_incident_start_date: date(),
        impacted_accounts: vec!["123456789012".into()],
        watchers: vec![Watcher {
            email: "carol@example.com".into(),
            name: Some("Carol Rivera".into()),
            job_title: Some("SOC Analyst".into()),
        }],
        threat_actor_ip_addresses: vec![ThreatActorIp {
            ip_address: "203.0.113.9".into(),
            user_agent: Some("curl/8.4.0".into()),
        }],
        impacted_services: vec![],
        impacted_aws_regions: vec![],
        tags: BTreeMap::from([(OWNERSHIP_TAG_KEY.into(), name.into())]),
    })
}

fn case(name: &str, case_id: Option<&str>, action: Action) -> CasePlan {
    CasePlan {
        live_fingerprint: case_id.map(|_| "f".repeat(64)),
        ..CasePlan::new(name.into(), case_id.map(str::to_string), action)
    }
}

fn change(
    field: &str,
    kind: ChangeKind,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> FieldChange {
    FieldChange {
        field: crate::model::SpecField::from_name(field).expect("fixtures name spec fields"),
        kind,
        before,
        after,
        cause: None,
        edits: Vec::new(),
    }
}

pub(crate) const OLD_DESCRIPTION: &str = "Credential phishing wave reported by two payroll clerks.\nThe lure came from alice@example.com.\nNo credentials were entered.\nSource IP 198.51.100.7.\nLast line unchanged.\n";
pub(crate) const NEW_DESCRIPTION: &str = "Credential phishing wave reported by two payroll clerks.\nThe lure came from alice@example.com.\nOne clerk entered credentials; password reset done.\nSource IP 198.51.100.7.\nLast line unchanged.\n";

/// A payroll update with watcher, service and title changes, a description diff and a status
/// walk of two steps.
pub(crate) fn update_case() -> CasePlan {
    let id = "1234567890";
    let mut update = case("payroll-phishing", Some(id), Action::Update);
    let bob = Watcher {
        email: "bob@example.com".into(),
        name: Some("Bob Stone".into()),
        job_title: Some("Payroll Lead".into()),
    };
    update.requests = vec![
        Request::UpdateCase(UpdateCaseInput {
            case_id: Some(id.into()),
            title: Some("Phishing against payroll (credentials entered)".into()),
            description: Some(NEW_DESCRIPTION.into()),
            watchers_to_add: vec![bob.clone()],
            impacted_services_to_delete: vec!["Amazon S3".into()],
            threat_actor_ip_addresses_to_add: vec![ThreatActorIp {
                ip_address: "198.51.100.7".into(),
                user_agent: None,
            }],
            ..UpdateCaseInput::default()
        }),
        Request::UpdateCaseStatus(UpdateCaseStatusInput {
            case_id: Some(id.into()),
            case_status: CaseStatus::DetectionAndAnalysis,
        }),
        Request::UpdateCaseStatus(UpdateCaseStatusInput {
            case_id: Some(id.into()),
            case_status: CaseStatus::PostIncidentActivities,
        }),
    ];
    update.status_path = vec![
        CaseStatus::Submitted,
        CaseStatus::DetectionAndAnalysis,
        CaseStatus::PostIncidentActivities,
    ];
    update.changes = vec![
        change(
            "title",
            ChangeKind::Modify,
            Some(json!("Phishing against payroll")),
            Some(json!("Phishing against payroll (credentials entered)")),
        ),
        change(
            "description",
            ChangeKind::Modify,
            Some(json!(OLD_DESCRIPTION)),
            Some(json!(NEW_DESCRIPTION)),
        ),
        change(
            "watchers",
            ChangeKind::Add,
            None,
            Some(serde_json::to_value(&bob).unwrap()),
        ),
        change(
            "threatActorIpAddresses",
            ChangeKind::Add,
            None,
            Some(json!({"ipAddress": "198.51.100.7"})),
        ),
        change(
            "impactedServices",
            ChangeKind::Remove,
            Some(json!("Amazon S3")),
            None,
        ),
    ];
    update
}

/// A case handed to AWS responders: irreversible.
pub(crate) fn irreversible_case() -> CasePlan {
    let id = "5555555555";
    let mut handover = case("ransomware-finance", Some(id), Action::Update);
    handover.irreversible = true;
    handover.requests = vec![Request::UpdateResolverType(UpdateResolverTypeInput {
        case_id: Some(id.into()),
        resolver_type: ResolverType::Aws,
    })];
    handover.changes = vec![change(
        "resolverType",
        ChangeKind::Modify,
        Some(json!("Self")),
        Some(json!("AWS")),
    )];
    handover
}

/// A manifest asking for Closed.
pub(crate) fn close_case() -> CasePlan {
    let id = "3333333333";
    let mut close = case("lost-laptop", Some(id), Action::Close);
    close.requests = vec![Request::CloseCase(CloseCaseInput {
        case_id: Some(id.into()),
    })];
    close.status_path = vec![CaseStatus::PostIncidentActivities, CaseStatus::Closed];
    close.irreversible = true;
    close
}

pub(crate) fn orphan_case() -> CasePlan {
    let id = "4444444444";
    let mut orphan = case("old-drill", Some(id), Action::Close);
    orphan.prune = true;
    orphan.requests = vec![Request::CloseCase(CloseCaseInput {
        case_id: Some(id.into()),
    })];
    orphan.status_path = vec![CaseStatus::Submitted, CaseStatus::Closed];
    orphan.irreversible = true;
    orphan.notes = vec![
        "no manifest is named \"old-drill\" any more (ownership tag sirops:name); --prune closes the case, which cannot be undone".into(),
    ];
    orphan
}

pub(crate) fn create_case() -> CasePlan {
    let mut create = case("tor-logins", None, Action::Create);
    create.requests = vec![
        create_request("tor-logins"),
        Request::UpdateCaseStatus(UpdateCaseStatusInput {
            case_id: None,
            case_status: CaseStatus::DetectionAndAnalysis,
        }),
    ];
    create.status_path = vec![CaseStatus::Submitted, CaseStatus::DetectionAndAnalysis];
    create
}

pub(crate) fn error_case() -> CasePlan {
    let mut error = case("bad-binding", Some("9999999999"), Action::Error);
    error.live_fingerprint = None;
    error.error = Some(
        "case 9999999999 does not exist (ResourceNotFoundException); check metadata.caseId".into(),
    );
    error
}

/// An existing case a manifest's caseId names, untagged until now: adopted, with a title fix.
pub(crate) fn adopt_case() -> CasePlan {
    let id = "6666666666";
    let mut adopt = case("vendor-breach", Some(id), Action::Adopt);
    let arn = format!("arn:aws:security-ir:us-east-1:123456789012:case/{id}");
    let ownership = BTreeMap::from([
        (OWNERSHIP_TAG_KEY.to_string(), "vendor-breach".to_string()),
        (SCOPE_TAG_KEY.to_string(), DEFAULT_SCOPE.to_string()),
    ]);
    adopt.requests = vec![
        Request::UpdateCase(UpdateCaseInput {
            case_id: Some(id.into()),
            title: Some("Breach at a payroll vendor".into()),
            ..UpdateCaseInput::default()
        }),
        Request::TagResource(TagResourceInput {
            resource_arn: Some(arn),
            tags: ownership.clone(),
        }),
    ];
    adopt.changes = vec![change(
        "title",
        ChangeKind::Modify,
        Some(json!("vendor breach")),
        Some(json!("Breach at a payroll vendor")),
    )];
    adopt.changes.extend(ownership.iter().map(|(key, value)| {
        change(
            "tags",
            ChangeKind::Add,
            None,
            Some(json!({"key": key, "value": value})),
        )
    }));
    adopt.adoption = Some(Adoption {
        live_status: CaseStatus::DetectionAndAnalysis,
        previous_name: None,
    });
    adopt.notes = vec![
        "adopting case 6666666666 (live status Detection and Analysis): metadata.caseId names it and it carries no sirops tag; apply tags it sirops:name=vendor-breach and sirops:scope=default".into(),
    ];
    adopt
}

/// A closed case whose manifest's title differs: drift apply will not change.
pub(crate) fn closed_drift_case() -> CasePlan {
    let mut drift = case("closed-incident", Some("8888888888"), Action::NoChange);
    drift.changes = vec![change(
        "title",
        ChangeKind::Modify,
        Some(json!("Old title")),
        Some(json!("Corrected title")),
    )];
    drift.notes = vec![crate::diff::CLOSED_CASE_NOTE.into()];
    drift
}

pub(crate) fn unchanged_case(name: &str) -> CasePlan {
    case(name, Some("7777777777"), Action::NoChange)
}

/// One case of every kind, in the order `build_plan` would give.
pub(crate) fn sample_plan() -> Plan {
    Plan::from_cases(vec![
        orphan_case(),
        close_case(),
        irreversible_case(),
        error_case(),
        closed_drift_case(),
        update_case(),
        unchanged_case("quiet-case"),
        create_case(),
        adopt_case(),
    ])
}
