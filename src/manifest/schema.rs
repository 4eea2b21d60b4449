//! The manifest format as Rust types, so that the JSON Schema editors use
//! (`schemas/case.schema.json`) is generated from the same limits, patterns and enums the
//! validator enforces, and so that `import` can write manifests with serde. The validator does
//! not deserialise these types: it walks the located tree to report every problem with its
//! position, which serde cannot.
//!
//! The schema describes the canonical form. The validator is a little more forgiving (account
//! ids as numbers or with fewer than 12 digits are padded with a warning), so an editor nudges
//! towards the form the validator would otherwise warn about.

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use super::validate::{STATUS_ALIAS, anchored};
use crate::model::{
    AWS_REGIONS, AWS_TAG_PREFIX, CaseStatus, DesiredCase, EngagementType, RESERVED_TAG_PREFIX,
    ResolverType, limits, patterns,
};

/// One case manifest document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(
    title = "sirops Case manifest",
    description = "One AWS Security Incident Response case, kept in git and reconciled by sirops."
)]
pub struct CaseManifest {
    pub api_version: ApiVersion,
    pub kind: Kind,
    pub metadata: ManifestMetadata,
    pub spec: CaseSpec,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ApiVersion {
    #[serde(rename = "sirops/v1")]
    V1,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Kind {
    Case,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManifestMetadata {
    /// Unique across all manifests; sirops tags the case it creates with it.
    #[schemars(length(min = 1, max = limits::NAME_MAX), regex(pattern = anchored(patterns::MANIFEST_NAME)))]
    pub name: String,
    /// Binds the manifest to an existing case (adoption). Written back by `apply --write-back`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", length(min = limits::CASE_ID.0, max = limits::CASE_ID.1), regex(pattern = anchored(patterns::CASE_ID)))]
    pub case_id: Option<String>,
    /// Earlier names of this manifest: after a rename, sirops retags the case that still
    /// carries an old name instead of closing it and creating a new one. Each is unique across
    /// all manifests' names and previous names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(
        inner(length(min = 1, max = limits::NAME_MAX), regex(pattern = anchored(patterns::MANIFEST_NAME))),
        extend("uniqueItems" = true)
    )]
    pub previous_names: Vec<String>,
    /// Spec fields whose drift (edits made outside git) this manifest leaves alone: shown in
    /// plans, never reverted, never a failed drift check.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "spec_field_names_schema")]
    pub ignore: Vec<String>,
}

fn spec_field_names_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "array",
        "items": { "enum": crate::model::SpecField::names() },
        "uniqueItems": true
    })
}

/// What a manifest may ask the status to be: the self-managed statuses, Closed, and the docs'
/// spelling of "Containment, Eradication and Recovery".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ManifestStatus {
    Submitted,
    #[serde(rename = "Detection and Analysis")]
    DetectionAndAnalysis,
    #[serde(
        rename = "Containment, Eradication and Recovery",
        alias = "Containment, Eradication, and Recovery"
    )]
    ContainmentEradicationAndRecovery,
    #[serde(rename = "Post-incident Activities")]
    PostIncidentActivities,
    Closed,
}

impl ManifestStatus {
    fn from_status(status: CaseStatus) -> Option<Self> {
        Some(match status {
            CaseStatus::Submitted => ManifestStatus::Submitted,
            CaseStatus::DetectionAndAnalysis => ManifestStatus::DetectionAndAnalysis,
            CaseStatus::ContainmentEradicationAndRecovery => {
                ManifestStatus::ContainmentEradicationAndRecovery
            }
            CaseStatus::PostIncidentActivities => ManifestStatus::PostIncidentActivities,
            CaseStatus::Closed => ManifestStatus::Closed,
            CaseStatus::Acknowledged | CaseStatus::ReadyToClose => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(transform = aws_resolver_only_closes)]
pub struct CaseSpec {
    #[schemars(length(min = limits::TITLE.0, max = limits::TITLE.1))]
    pub title: String,
    #[schemars(length(min = limits::DESCRIPTION.0, max = limits::DESCRIPTION.1))]
    pub description: String,
    pub engagement_type: EngagementType,
    pub resolver_type: ResolverType,
    /// Omitted: the status is not managed. With resolverType AWS only Closed may be asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "status_schema")]
    pub status: Option<ManifestStatus>,
    /// RFC 3339 with an offset, at most millisecond precision.
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub reported_incident_start_date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub actual_incident_start_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<WatcherManifest>", length(max = limits::WATCHERS_MAX))]
    pub watchers: Option<Vec<WatcherManifest>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<ThreatActorIpManifest>", length(max = limits::THREAT_ACTOR_IPS_MAX))]
    pub threat_actor_ip_addresses: Option<Vec<ThreatActorIpManifest>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        with = "Vec<String>",
        length(max = limits::IMPACTED_SERVICES_MAX),
        inner(length(min = limits::AWS_SERVICE.0, max = limits::AWS_SERVICE.1), regex(pattern = anchored(patterns::AWS_SERVICE)))
    )]
    pub impacted_services: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "regions_schema")]
    pub impacted_aws_regions: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        with = "Vec<String>",
        length(max = limits::IMPACTED_ACCOUNTS_MAX),
        inner(regex(pattern = anchored(patterns::ACCOUNT_ID)))
    )]
    pub impacted_accounts: Option<Vec<String>>,
    /// Replaced whole; an empty map is refused because the API cannot store it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "case_metadata_schema")]
    pub case_metadata: Option<BTreeMap<String, String>>,
    /// At most 197: sirops adds three tags of its own. `sirops:` and `aws:` keys are reserved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "tags_schema")]
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WatcherManifest {
    #[schemars(length(min = limits::EMAIL.0, max = limits::EMAIL.1), regex(pattern = anchored(patterns::EMAIL)))]
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", length(min = limits::PERSON_NAME.0, max = limits::PERSON_NAME.1))]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", length(min = limits::JOB_TITLE.0, max = limits::JOB_TITLE.1))]
    pub job_title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ThreatActorIpManifest {
    /// IPv4, or IPv6 as eight groups of uppercase hex (the API's pattern).
    #[schemars(regex(pattern = anchored(patterns::IP_ADDRESS)))]
    pub ip_address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", length(min = limits::USER_AGENT.0, max = limits::USER_AGENT.1))]
    pub user_agent: Option<String>,
}

/// The statuses a manifest may ask for, and the docs' spelling the validator also accepts.
fn status_schema(_: &mut SchemaGenerator) -> Schema {
    let mut names: Vec<&str> = CaseStatus::ALL
        .iter()
        .filter(|status| super::validate::is_requestable(**status))
        .map(|status| status.as_str())
        .collect();
    names.push(STATUS_ALIAS);
    json_schema!({
        "type": "string",
        "description": "Omitted: the status is not managed. With resolverType AWS only Closed may be asked for.",
        "enum": names,
    })
}

fn regions_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "array",
        "maxItems": limits::IMPACTED_REGIONS_MAX,
        "items": { "type": "string", "enum": AWS_REGIONS.as_slice() },
    })
}

fn case_metadata_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "minProperties": limits::CASE_METADATA.0,
        "maxProperties": limits::CASE_METADATA.1,
        "propertyNames": {
            "minLength": limits::CASE_METADATA_KEY.0,
            "maxLength": limits::CASE_METADATA_KEY.1,
        },
        "additionalProperties": {
            "type": "string",
            "minLength": limits::CASE_METADATA_VALUE.0,
            "maxLength": limits::CASE_METADATA_VALUE.1,
        },
    })
}

fn tags_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "maxProperties": limits::USER_TAGS_MAX,
        "propertyNames": {
            "minLength": limits::TAG_KEY.0,
            "maxLength": limits::TAG_KEY.1,
            // Must match `is_reserved_tag_key`, which the schema cannot call.
            "not": { "pattern": format!("^({RESERVED_TAG_PREFIX}|{})", any_case(AWS_TAG_PREFIX)) },
        },
        "additionalProperties": {
            "type": "string",
            "minLength": limits::TAG_VALUE.0,
            "maxLength": limits::TAG_VALUE.1,
        },
    })
}

/// The status machine: an AWS-supported case may only be asked to close.
fn aws_resolver_only_closes(schema: &mut Schema) {
    schema.insert(
        "if".into(),
        serde_json::json!({
            "properties": { "resolverType": { "const": ResolverType::Aws.as_str() } },
            "required": ["resolverType"],
        }),
    );
    schema.insert(
        "then".into(),
        serde_json::json!({
            "properties": { "status": { "const": CaseStatus::Closed.as_str() } },
        }),
    );
}

/// The manifest JSON Schema (draft-07, which editors support best).
pub(crate) fn json_schema() -> serde_json::Value {
    let schema = schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<CaseManifest>();
    schema.to_value()
}

impl CaseManifest {
    /// The manifest that asks for exactly `desired` (for `import`). Statuses a manifest cannot
    /// ask for (set only by AWS) are left out, which leaves the status unmanaged.
    pub fn from_desired(desired: &DesiredCase) -> CaseManifest {
        CaseManifest {
            api_version: ApiVersion::V1,
            kind: Kind::Case,
            metadata: ManifestMetadata {
                name: desired.name.clone(),
                case_id: desired.case_id.clone(),
                previous_names: desired.previous_names.clone(),
                ignore: Vec::new(),
            },
            spec: CaseSpec {
                title: desired.title.clone(),
                description: desired.description.clone(),
                engagement_type: desired.engagement_type,
                resolver_type: desired.resolver_type,
                status: desired.status.and_then(ManifestStatus::from_status),
                reported_incident_start_date: desired.reported_incident_start_date.to_rfc3339(),
                actual_incident_start_date: desired
                    .actual_incident_start_date
                    .map(super::super::model::Timestamp::to_rfc3339),
                watchers: desired.watchers.as_ref().map(|watchers| {
                    watchers
                        .iter()
                        .map(|watcher| WatcherManifest {
                            email: watcher.email.clone(),
                            name: watcher.name.clone(),
                            job_title: watcher.job_title.clone(),
                        })
                        .collect()
                }),
                threat_actor_ip_addresses: desired.threat_actor_ip_addresses.as_ref().map(|ips| {
                    ips.iter()
                        .map(|ip| ThreatActorIpManifest {
                            ip_address: ip.ip_address.clone(),
                            user_agent: ip.user_agent.clone(),
                        })
                        .collect()
                }),
                impacted_services: desired.impacted_services.clone(),
                impacted_aws_regions: desired.impacted_aws_regions.clone(),
                impacted_accounts: desired.impacted_accounts.clone(),
                case_metadata: desired.case_metadata.clone(),
                tags: desired.tags.clone(),
            },
        }
    }
}

/// Keeps `API_VERSION` and `KIND` (what the validator checks) and the serde spellings above
/// (what the schema says) from drifting apart.
/// A regex matching `text` in any ASCII capitalisation, for schema patterns (which have no
/// case-insensitive flag).
fn any_case(text: &str) -> String {
    text.chars()
        .map(|character| {
            if character.is_ascii_alphabetic() {
                format!(
                    "[{}{}]",
                    character.to_ascii_lowercase(),
                    character.to_ascii_uppercase()
                )
            } else {
                character.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::validate::{API_VERSION, KIND};

    #[test]
    fn constants_match_the_serde_spellings() {
        assert_eq!(serde_json::to_value(ApiVersion::V1).unwrap(), API_VERSION);
        assert_eq!(serde_json::to_value(Kind::Case).unwrap(), KIND);
    }

    /// The schema is written as a struct for schemars; the spec's fields are defined once in
    /// `SpecField`, so the two must name the same keys and the same required ones.
    #[test]
    fn schema_has_exactly_the_spec_fields() {
        let schema = json_schema();
        let spec = &schema["definitions"]["CaseSpec"];
        let properties: std::collections::BTreeSet<&str> = spec["properties"]
            .as_object()
            .expect("CaseSpec has properties")
            .keys()
            .map(String::as_str)
            .collect();
        let fields: std::collections::BTreeSet<&str> =
            crate::model::SpecField::names().iter().copied().collect();
        assert_eq!(properties, fields);
        let mut required: Vec<&str> = spec["required"]
            .as_array()
            .expect("CaseSpec has required fields")
            .iter()
            .filter_map(serde_json::Value::as_str)
            .collect();
        required.sort_unstable();
        let mut expected: Vec<&str> = crate::model::SpecField::required_names().collect();
        expected.sort_unstable();
        assert_eq!(required, expected);
    }

    #[test]
    fn schema_carries_the_api_limits() {
        let schema = json_schema();
        let text = schema.to_string();
        for expected in [
            "\"maxLength\":300",
            "\"maxLength\":8000",
            "\"maxItems\":30",
            "\"maxItems\":600",
            "\"minProperties\":1",
            "\"additionalProperties\":false",
            "\"format\":\"date-time\"",
            "Post-incident Activities",
            "us-east-1",
        ] {
            assert!(text.contains(expected), "schema lacks {expected}: {text}");
        }
    }

    #[test]
    fn tag_keys_reserved_by_the_validator_are_refused_by_the_schema() {
        let tags = &json_schema()["definitions"]["CaseSpec"]["properties"]["tags"];
        assert_eq!(tags["maxProperties"], limits::USER_TAGS_MAX);
        let pattern = tags["propertyNames"]["not"]["pattern"].as_str().unwrap();
        let reserved = regex::Regex::new(pattern).unwrap();
        for key in [
            "sirops:name",
            "aws:cloudformation:stack-name",
            "AWS:x",
            "Aws:x",
            "team",
            "my-aws:x",
        ] {
            assert_eq!(
                reserved.is_match(key),
                crate::model::is_reserved_tag_key(key),
                "{key}"
            );
        }
    }

    #[test]
    fn imported_manifests_round_trip_through_the_validator() {
        let text = "apiVersion: sirops/v1\nkind: Case\nmetadata:\n  name: a\n  caseId: \"1234567890\"\n  previousNames: [c, b]\nspec:\n  title: t\n  description: d\n  engagementType: Investigation\n  resolverType: AWS\n  status: Closed\n  reportedIncidentStartDate: 2026-11-20T08:00:00.5Z\n  watchers: [{email: alice@example.com, jobTitle: CISO}]\n  impactedAccounts: [\"123456789012\"]\n  tags: {team: \"\"}\n";
        let loaded = crate::manifest::parse_source(std::path::Path::new("a.yaml"), text.as_bytes());
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let desired = &loaded.manifests[0].desired;
        let yaml = serde_yaml::to_string(&CaseManifest::from_desired(desired)).unwrap();
        let again = crate::manifest::parse_source(std::path::Path::new("a.yaml"), yaml.as_bytes());
        assert!(
            again.diagnostics.is_empty(),
            "{yaml}\n{:?}",
            again.diagnostics
        );
        assert_eq!(&again.manifests[0].desired, desired);
        assert_eq!(desired.previous_names, ["c", "b"]);
    }
}
