//! The case as sirops reasons about it: what a manifest asks for (`DesiredCase`) and what the
//! service holds (`LiveCase`), in plain values shared by the diff, the planner, the executor and
//! the emulator. Nothing here does I/O; the API's vocabulary (status names, enums, limits) lives
//! here once so that every stage agrees on it.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

mod spec_field;

pub use spec_field::{FieldDefinition, FieldValues, SpecField};

/// The tag sirops puts on every case it creates; its value is the manifest's `metadata.name`.
pub const OWNERSHIP_TAG_KEY: &str = "sirops:name";

/// The tag that names the scope (the `scope:` of a repository's `sirops.yaml`) a case belongs
/// to. A case with an ownership tag but no scope tag was made before scopes existed and belongs
/// to `DEFAULT_SCOPE`.
pub const SCOPE_TAG_KEY: &str = "sirops:scope";

/// The tag that names the git commit whose manifest was last applied to the case: the base a
/// plan tells git's changes from edits made outside git against.
pub const REVISION_TAG_KEY: &str = "sirops:revision";

/// The scope of a repository without `sirops.yaml`, or whose `sirops.yaml` names none.
pub const DEFAULT_SCOPE: &str = "default";

/// Tag keys under this prefix belong to sirops: manifests may not set them and sirops never
/// removes them.
pub const RESERVED_TAG_PREFIX: &str = "sirops:";

/// Tag keys under this prefix, in any capitalisation, belong to AWS: the service refuses to
/// let anyone write them, so manifests may not set them and sirops never removes them.
pub const AWS_TAG_PREFIX: &str = "aws:";

/// The one rule for tag keys a manifest may not manage: sirops's own and AWS's.
pub fn is_reserved_tag_key(key: &str) -> bool {
    key.starts_with(RESERVED_TAG_PREFIX)
        || key
            .get(..AWS_TAG_PREFIX.len())
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case(AWS_TAG_PREFIX))
}

/// The tags a manifest manages: all but the reserved ones.
pub fn user_tags(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(key, _)| !is_reserved_tag_key(key))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// Limits of the API model (security-ir 2018-05-10), in characters or items.
pub mod limits {
    pub const NAME_MAX: usize = 63;
    pub const TITLE: (usize, usize) = (1, 300);
    pub const DESCRIPTION: (usize, usize) = (1, 8000);
    pub const WATCHERS_MAX: usize = 30;
    pub const EMAIL: (usize, usize) = (6, 254);
    pub const PERSON_NAME: (usize, usize) = (1, 50);
    pub const JOB_TITLE: (usize, usize) = (1, 50);
    pub const THREAT_ACTOR_IPS_MAX: usize = 200;
    pub const USER_AGENT: (usize, usize) = (1, 500);
    pub const IMPACTED_SERVICES_MAX: usize = 600;
    pub const AWS_SERVICE: (usize, usize) = (2, 50);
    pub const IMPACTED_REGIONS_MAX: usize = 50;
    pub const IMPACTED_ACCOUNTS_MAX: usize = 200;
    pub const CASE_METADATA: (usize, usize) = (1, 30);
    pub const CASE_METADATA_KEY: (usize, usize) = (1, 500);
    pub const CASE_METADATA_VALUE: (usize, usize) = (1, 2000);
    pub const TAGS_MAX: usize = 200;
    /// What a manifest may ask for: sirops adds its own three tags, `sirops:name`,
    /// `sirops:scope` and `sirops:revision`, to the cases it manages, and those count against
    /// the API's 200.
    pub const USER_TAGS_MAX: usize = TAGS_MAX - 3;
    pub const TAG_KEY: (usize, usize) = (1, 128);
    pub const TAG_VALUE: (usize, usize) = (0, 256);
    pub const CASE_ID: (usize, usize) = (10, 32);
}

/// Patterns of the API model. The API anchors none of them; sirops anchors them at both ends
/// because a value that merely *contains* an email is not an email.
pub mod patterns {
    pub const EMAIL: &str = r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*";
    pub const IP_ADDRESS: &str = r"(?:(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?))|(?:(?:[A-F0-9]{1,4}:){7}[A-F0-9]{1,4})|(?:(?:[A-F0-9]{1,4}:){6}(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?))";
    pub const AWS_SERVICE: &str = r"[a-zA-Z0-9 -.():]+";
    pub const ACCOUNT_ID: &str = r"[0-9]{12}";
    pub const CASE_ID: &str = r"\d{10,32}.*";
    pub const MANIFEST_NAME: &str = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?";
}

/// The API's `AwsRegion` enum.
pub const AWS_REGIONS: [&str; 36] = [
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// An API value that was not one of the enum's members.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {kind}; expected one of: {}", expected.join(", "))]
pub struct UnknownEnumValue {
    pub kind: &'static str,
    pub value: String,
    pub expected: Vec<&'static str>,
}

/// Declares an API string enum with its exact wire spellings, `as_str`, `FromStr`, `Display`
/// and serde as those spellings.
macro_rules! api_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownEnumValue;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match value {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(UnknownEnumValue {
                        kind: $kind,
                        value: value.to_string(),
                        expected: vec![$($wire),+],
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

api_enum!(
    /// `CaseStatus` of the API. `Acknowledged` and `Ready to Close` are set only by AWS.
    CaseStatus, "case status" {
        Submitted => "Submitted",
        Acknowledged => "Acknowledged",
        DetectionAndAnalysis => "Detection and Analysis",
        ContainmentEradicationAndRecovery => "Containment, Eradication and Recovery",
        PostIncidentActivities => "Post-incident Activities",
        ReadyToClose => "Ready to Close",
        Closed => "Closed",
    }
);

api_enum!(
    /// Who works the case: the customer's own team (`Self`) or AWS responders (`AWS`).
    ResolverType, "resolver type" {
        SelfManaged => "Self",
        Aws => "AWS",
    }
);

api_enum!(
    EngagementType, "engagement type" {
        SecurityIncident => "Security Incident",
        Investigation => "Investigation",
    }
);

impl CaseStatus {
    /// Statuses UpdateCaseStatus accepts (`SelfManagedCaseStatus` in the model).
    pub const SELF_MANAGED_TARGETS: [CaseStatus; 4] = [
        CaseStatus::Submitted,
        CaseStatus::DetectionAndAnalysis,
        CaseStatus::ContainmentEradicationAndRecovery,
        CaseStatus::PostIncidentActivities,
    ];

    pub fn is_closed(self) -> bool {
        self == CaseStatus::Closed
    }
}

/// A point in time at millisecond precision, which is what survives the API's epoch-seconds
/// timestamps unchanged. Serialised as RFC 3339 (`2026-11-20T08:00:00Z`), as plans show dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    epoch_millis: i64,
}

impl Timestamp {
    pub fn from_epoch_millis(epoch_millis: i64) -> Self {
        Timestamp { epoch_millis }
    }

    pub fn epoch_millis(self) -> i64 {
        self.epoch_millis
    }

    /// Parses an RFC 3339 date-time with an explicit offset. Precision finer than a millisecond
    /// is refused rather than silently dropped, so a manifest never plans a change it cannot make.
    pub fn parse_rfc3339(text: &str) -> Result<Self, String> {
        let timestamp: jiff::Timestamp = text.parse().map_err(|error: jiff::Error| {
            format!(
                "{text:?} is not an RFC 3339 date-time ({error}); write e.g. 2026-11-20T08:00:00Z"
            )
        })?;
        let nanos = timestamp.as_nanosecond();
        if nanos % 1_000_000 != 0 {
            return Err(format!(
                "{text:?} is more precise than a millisecond, which the API cannot store; round it to milliseconds"
            ));
        }
        let epoch_millis =
            i64::try_from(nanos / 1_000_000).map_err(|_| format!("{text:?} is out of range"))?;
        Ok(Timestamp { epoch_millis })
    }

    pub fn to_rfc3339(self) -> String {
        match jiff::Timestamp::from_millisecond(self.epoch_millis) {
            Ok(timestamp) => format!("{timestamp:?}"),
            Err(_) => format!("@{}ms", self.epoch_millis),
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Watcher {
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
}

impl Watcher {
    /// Watchers are the same person when their emails match, ignoring case.
    pub fn identity(&self) -> String {
        self.email.to_lowercase()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreatActorIp {
    pub ip_address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

/// One `caseMetadata` entry as the API carries it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MetadataEntry {
    pub key: String,
    pub value: String,
}

/// What one manifest asks for, after validation and normalisation (status alias resolved,
/// accounts zero-padded). `None` means the manifest leaves the field unmanaged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DesiredCase {
    pub name: String,
    pub case_id: Option<String>,
    /// Names this manifest had before (`metadata.previousNames`): a case tagged with one of
    /// them is this manifest's case, retagged instead of closed and created anew.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_names: Vec<String>,
    pub title: String,
    pub description: String,
    pub engagement_type: EngagementType,
    pub resolver_type: ResolverType,
    pub status: Option<CaseStatus>,
    pub reported_incident_start_date: Timestamp,
    pub actual_incident_start_date: Option<Timestamp>,
    pub watchers: Option<Vec<Watcher>>,
    pub threat_actor_ip_addresses: Option<Vec<ThreatActorIp>>,
    pub impacted_services: Option<Vec<String>>,
    pub impacted_aws_regions: Option<Vec<String>>,
    pub impacted_accounts: Option<Vec<String>>,
    pub case_metadata: Option<BTreeMap<String, String>>,
    pub tags: Option<BTreeMap<String, String>>,
}

/// A case as the service holds it (GetCase, plus ListTagsForResource when tags were read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveCase {
    pub case_id: String,
    pub case_arn: String,
    pub title: String,
    pub description: String,
    pub status: CaseStatus,
    pub engagement_type: EngagementType,
    pub resolver_type: ResolverType,
    pub reported_incident_start_date: Option<Timestamp>,
    pub actual_incident_start_date: Option<Timestamp>,
    pub watchers: Vec<Watcher>,
    pub threat_actor_ip_addresses: Vec<ThreatActorIp>,
    pub impacted_services: Vec<String>,
    pub impacted_aws_regions: Vec<String>,
    pub impacted_accounts: Vec<String>,
    pub case_metadata: Vec<MetadataEntry>,
    /// `None` when the tags were not read (they are read only when a manifest manages them or
    /// the binding needs them).
    pub tags: Option<BTreeMap<String, String>>,
}

/// One change in a case's history as ListCaseEdits reports it: who made it, when, and the
/// service's name for what it changed (`TitleUpdated`, `CaseClosed`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseEdit {
    pub time: Timestamp,
    pub principal: String,
    pub action: String,
    pub message: String,
    /// Made by the principal sirops itself runs as (see [`crate::live::edits::sirops_principal`]):
    /// an edit that applied git, not one made behind its back.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_sirops: bool,
}

impl LiveCase {
    /// A digest of everything sirops knows about the live case. A saved plan stores it, and
    /// `apply --plan` refuses when the case no longer has the same digest.
    pub fn fingerprint(&self) -> String {
        let canonical = serde_json::to_vec(self).expect("a LiveCase always serialises");
        hex::encode(Sha256::digest(&canonical))
    }

    /// The manifest name in the ownership tag, when the tags were read and carry it.
    pub fn owner_name(&self) -> Option<&str> {
        self.tags
            .as_ref()?
            .get(OWNERSHIP_TAG_KEY)
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_through_rfc3339_and_epoch_seconds() {
        let parsed = Timestamp::parse_rfc3339("2026-11-20T08:00:00.250Z").unwrap();
        assert_eq!(parsed.to_rfc3339(), "2026-11-20T08:00:00.25Z");
        let offset = Timestamp::parse_rfc3339("2026-11-20T09:00:00+01:00").unwrap();
        assert_eq!(offset.to_rfc3339(), "2026-11-20T08:00:00Z");
    }

    #[test]
    fn timestamps_refuse_sub_millisecond_precision_and_dates_without_offset() {
        assert!(Timestamp::parse_rfc3339("2026-11-20T08:00:00.0001Z").is_err());
        assert!(Timestamp::parse_rfc3339("2026-11-20T08:00:00").is_err());
        assert!(Timestamp::parse_rfc3339("yesterday").is_err());
    }

    #[test]
    fn enums_parse_only_their_wire_spellings() {
        assert_eq!(
            "Containment, Eradication and Recovery".parse::<CaseStatus>(),
            Ok(CaseStatus::ContainmentEradicationAndRecovery)
        );
        let error = "Containment, Eradication, and Recovery"
            .parse::<CaseStatus>()
            .unwrap_err();
        assert!(error.to_string().contains("Post-incident Activities"));
        assert_eq!(
            "Self".parse::<ResolverType>(),
            Ok(ResolverType::SelfManaged)
        );
        assert_eq!(ResolverType::Aws.as_str(), "AWS");
    }

    #[test]
    fn sirops_and_aws_keys_are_reserved_and_aws_in_any_case() {
        for key in [
            "sirops:name",
            "sirops:scope",
            "aws:x",
            "AWS:x",
            "Aws:cloudformation",
        ] {
            assert!(is_reserved_tag_key(key), "{key}");
        }
        for key in ["team", "my-aws:x", "aws", "Sirops", "ąws:"] {
            assert!(!is_reserved_tag_key(key), "{key}");
        }
    }

    #[test]
    fn fingerprint_changes_when_any_field_changes() {
        let case = LiveCase {
            reported_incident_start_date: None,
            tags: None,
            ..crate::plan::fixtures::live_case("1234567890", "owner", CaseStatus::Submitted)
        };
        let mut changed = case.clone();
        changed.impacted_services.push("Amazon S3".into());
        assert_eq!(case.fingerprint(), case.clone().fingerprint());
        assert_ne!(case.fingerprint(), changed.fingerprint());
    }
}
