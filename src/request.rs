//! The API calls a plan is made of, as plain values. Each serialises as
//! `{"operation": "UpdateCase", "input": {...}}` with the API's own member names and wire values
//! (`docs/reference.md`, "Plan JSON"), so the plan JSON shows exactly what apply will send, and the executor
//! turns each value into one SDK call without deciding anything.
//!
//! A call that follows a CreateCase in the same plan does not know the new case's id yet; its
//! `caseId` (or `resourceArn`) is `None`, written `null` in the JSON, and the executor fills it in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{
    CaseStatus, EngagementType, MetadataEntry, ResolverType, ThreatActorIp, Timestamp, Watcher,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "operation", content = "input")]
pub enum Request {
    CreateCase(CreateCaseInput),
    UpdateResolverType(UpdateResolverTypeInput),
    UpdateCase(UpdateCaseInput),
    UpdateCaseStatus(UpdateCaseStatusInput),
    CloseCase(CloseCaseInput),
    TagResource(TagResourceInput),
    UntagResource(UntagResourceInput),
}

impl Request {
    /// True for the requests the API cannot undo: CloseCase (Closed is final) and
    /// UpdateResolverType to AWS (the API never hands a case back).
    pub fn is_irreversible(&self) -> bool {
        matches!(
            self,
            Request::CloseCase(_)
                | Request::UpdateResolverType(UpdateResolverTypeInput {
                    resolver_type: ResolverType::Aws,
                    ..
                })
        )
    }

    pub fn operation(&self) -> &'static str {
        match self {
            Request::CreateCase(_) => "CreateCase",
            Request::UpdateResolverType(_) => "UpdateResolverType",
            Request::UpdateCase(_) => "UpdateCase",
            Request::UpdateCaseStatus(_) => "UpdateCaseStatus",
            Request::CloseCase(_) => "CloseCase",
            Request::TagResource(_) => "TagResource",
            Request::UntagResource(_) => "UntagResource",
        }
    }
}

/// `{"region": "us-east-1"}`: the API wraps each impacted region in a structure.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ImpactedAwsRegion {
    pub region: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCaseInput {
    pub client_token: String,
    pub resolver_type: ResolverType,
    pub title: String,
    pub description: String,
    pub engagement_type: EngagementType,
    pub reported_incident_start_date: Timestamp,
    /// Required by the API even when empty.
    pub impacted_accounts: Vec<String>,
    /// Required by the API even when empty.
    pub watchers: Vec<Watcher>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub threat_actor_ip_addresses: Vec<ThreatActorIp>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub impacted_services: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub impacted_aws_regions: Vec<ImpactedAwsRegion>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// Every member but `caseId` is optional; an absent member leaves the live value alone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateCaseInput {
    pub case_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_incident_start_date: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual_incident_start_date: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engagement_type: Option<EngagementType>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub watchers_to_add: Vec<Watcher>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub watchers_to_delete: Vec<Watcher>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub threat_actor_ip_addresses_to_add: Vec<ThreatActorIp>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub threat_actor_ip_addresses_to_delete: Vec<ThreatActorIp>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub impacted_services_to_add: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub impacted_services_to_delete: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub impacted_aws_regions_to_add: Vec<ImpactedAwsRegion>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub impacted_aws_regions_to_delete: Vec<ImpactedAwsRegion>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub impacted_accounts_to_add: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub impacted_accounts_to_delete: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_metadata: Option<Vec<MetadataEntry>>,
}

impl UpdateCaseInput {
    /// True when the input would change nothing: such a call is never planned.
    pub fn is_empty(&self) -> bool {
        *self
            == UpdateCaseInput {
                case_id: self.case_id.clone(),
                ..UpdateCaseInput::default()
            }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateCaseStatusInput {
    pub case_id: Option<String>,
    pub case_status: CaseStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloseCaseInput {
    pub case_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateResolverTypeInput {
    pub case_id: Option<String>,
    pub resolver_type: ResolverType,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagResourceInput {
    pub resource_arn: Option<String>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UntagResourceInput {
    pub resource_arn: Option<String>,
    pub tag_keys: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_serialise_with_the_api_member_names() {
        let request = Request::UpdateCase(UpdateCaseInput {
            case_id: Some("1234567890".into()),
            watchers_to_add: vec![Watcher {
                email: "bob@example.com".into(),
                name: None,
                job_title: None,
            }],
            impacted_aws_regions_to_delete: vec![ImpactedAwsRegion {
                region: "eu-west-1".into(),
            }],
            ..UpdateCaseInput::default()
        });
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({
                "operation": "UpdateCase",
                "input": {
                    "caseId": "1234567890",
                    "watchersToAdd": [{"email": "bob@example.com"}],
                    "impactedAwsRegionsToDelete": [{"region": "eu-west-1"}]
                }
            })
        );
    }

    #[test]
    fn a_call_after_create_writes_its_case_id_as_null() {
        let request = Request::UpdateCaseStatus(UpdateCaseStatusInput {
            case_id: None,
            case_status: CaseStatus::DetectionAndAnalysis,
        });
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(json["input"]["caseId"], serde_json::Value::Null);
        assert_eq!(json["input"]["caseStatus"], "Detection and Analysis");
        let back: Request = serde_json::from_value(json).unwrap();
        assert_eq!(back, request);
    }

    #[test]
    fn update_case_input_knows_when_it_changes_nothing() {
        let mut input = UpdateCaseInput {
            case_id: Some("1234567890".into()),
            ..UpdateCaseInput::default()
        };
        assert!(input.is_empty());
        input.title = Some("new".into());
        assert!(!input.is_empty());
    }
}
