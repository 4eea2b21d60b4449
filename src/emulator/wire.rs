//! Request bodies as the wire carries them. Every member is optional here, even the required
//! ones, so that a missing member becomes a ValidationException naming it (as the service
//! answers) rather than a generic parse failure. Timestamps are epoch seconds (JSON numbers).
//! Each operation has its own struct even where members repeat (CreateCase and UpdateCase), so
//! that each follows its own request in the model.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WatcherInput {
    pub(crate) email: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) job_title: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ThreatActorIpInput {
    pub(crate) ip_address: Option<String>,
    pub(crate) user_agent: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub(crate) struct RegionInput {
    pub(crate) region: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct MetadataEntryInput {
    pub(crate) key: Option<String>,
    pub(crate) value: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateCaseBody {
    pub(crate) client_token: Option<String>,
    pub(crate) resolver_type: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) engagement_type: Option<String>,
    pub(crate) reported_incident_start_date: Option<f64>,
    pub(crate) impacted_accounts: Option<Vec<String>>,
    pub(crate) watchers: Option<Vec<WatcherInput>>,
    pub(crate) threat_actor_ip_addresses: Option<Vec<ThreatActorIpInput>>,
    pub(crate) impacted_services: Option<Vec<String>>,
    pub(crate) impacted_aws_regions: Option<Vec<RegionInput>>,
    pub(crate) tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateCaseInput {
    pub(crate) title: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) reported_incident_start_date: Option<f64>,
    pub(crate) actual_incident_start_date: Option<f64>,
    pub(crate) engagement_type: Option<String>,
    pub(crate) watchers_to_add: Option<Vec<WatcherInput>>,
    pub(crate) watchers_to_delete: Option<Vec<WatcherInput>>,
    pub(crate) threat_actor_ip_addresses_to_add: Option<Vec<ThreatActorIpInput>>,
    pub(crate) threat_actor_ip_addresses_to_delete: Option<Vec<ThreatActorIpInput>>,
    pub(crate) impacted_services_to_add: Option<Vec<String>>,
    pub(crate) impacted_services_to_delete: Option<Vec<String>>,
    pub(crate) impacted_aws_regions_to_add: Option<Vec<RegionInput>>,
    pub(crate) impacted_aws_regions_to_delete: Option<Vec<RegionInput>>,
    pub(crate) impacted_accounts_to_add: Option<Vec<String>>,
    pub(crate) impacted_accounts_to_delete: Option<Vec<String>>,
    pub(crate) case_metadata: Option<Vec<MetadataEntryInput>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateCaseStatusInput {
    pub(crate) case_status: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateResolverTypeInput {
    pub(crate) resolver_type: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct TagResourceInput {
    pub(crate) tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateCaseCommentInput {
    pub(crate) client_token: Option<String>,
    pub(crate) body: Option<String>,
}

/// ListCases, ListComments and ListCaseEdits share their paging members.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PageInput {
    pub(crate) next_token: Option<String>,
    pub(crate) max_results: Option<i64>,
}

/// Parses a JSON body; an empty body is an empty structure, as restJson1 allows.
pub(crate) fn parse_body<T: for<'de> Deserialize<'de> + Default>(
    body: &[u8],
) -> Result<T, crate::emulator::service_error::ServiceError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|error| {
        crate::emulator::service_error::ServiceError::cannot_parse(format!(
            "The request body is not valid for this operation: {error}"
        ))
    })
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct UpdateCaseCommentInput {
    pub(crate) body: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AttachmentUploadInput {
    pub(crate) file_name: Option<String>,
    pub(crate) content_length: Option<i64>,
    pub(crate) client_token: Option<String>,
}
