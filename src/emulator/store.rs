//! What the emulator remembers: cases with their tags, comments, attachments and edit history,
//! and the idempotency tokens. The whole `State` is what `--state FILE` holds, so it serialises
//! as one JSON document; `CaseDetails` serialises exactly as the GetCase response.
//!
//! Cases of every account and region live in one map, keyed by their (globally unique) id; a
//! case belongs to the partition its ARN names, and a call sees only the cases of the
//! partition it was signed for ([`Partition`]).
//!
//! The structs look alike (serde attributes over lists of fields) and are still kept apart:
//! each is one member of a response or of the state file, and follows only that.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::model::{CaseStatus, EngagementType, ResolverType};

/// The account of the emulated cases unless `--account` names another.
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";

/// The principal AWS's own responders act as, in comments and edits.
pub(crate) const AWS_RESPONDER: &str = "AWS Responder";

/// An account and region: what a signed call can see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Partition {
    pub(crate) region: String,
    pub(crate) account: String,
}

impl Partition {
    /// `arn:aws:security-ir:REGION:ACCOUNT:` — the start of every ARN of this partition.
    pub(crate) fn arn_prefix(&self) -> String {
        format!("arn:aws:security-ir:{}:{}:", self.region, self.account)
    }

    pub(crate) fn case_arn(&self, case_id: &str) -> String {
        format!("{}case/{case_id}", self.arn_prefix())
    }

    /// True when `arn` belongs to this partition. Checked on every case lookup, so without
    /// building the prefix.
    pub(crate) fn owns(&self, arn: &str) -> bool {
        let owned = || {
            let rest = arn.strip_prefix("arn:aws:security-ir:")?;
            let rest = rest.strip_prefix(self.region.as_str())?.strip_prefix(':')?;
            rest.strip_prefix(self.account.as_str())?.strip_prefix(':')
        };
        owned().is_some()
    }

    /// The key of a client token within this partition: the same token in another region or
    /// account is another token.
    pub(crate) fn token_key(&self, token: &str) -> String {
        format!("{}{token}", self.arn_prefix())
    }
}

/// Bumped when the file layout changes incompatibly, so an old file is refused, not misread.
pub(crate) const STATE_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoredWatcher {
    pub(crate) email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) job_title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoredThreatActorIp {
    pub(crate) ip_address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) user_agent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredRegion {
    pub(crate) region: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredMetadataEntry {
    pub(crate) key: String,
    pub(crate) value: String,
}

/// The members GetCase returns, with the model's names. Dates are epoch seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CaseDetails {
    pub(crate) title: String,
    pub(crate) case_arn: String,
    pub(crate) description: String,
    pub(crate) case_status: CaseStatus,
    pub(crate) engagement_type: EngagementType,
    pub(crate) reported_incident_start_date: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) actual_incident_start_date: Option<f64>,
    pub(crate) impacted_aws_regions: Vec<StoredRegion>,
    pub(crate) threat_actor_ip_addresses: Vec<StoredThreatActorIp>,
    pub(crate) pending_action: String,
    pub(crate) impacted_accounts: Vec<String>,
    pub(crate) watchers: Vec<StoredWatcher>,
    pub(crate) created_date: f64,
    pub(crate) last_updated_date: f64,
    pub(crate) resolver_type: ResolverType,
    pub(crate) impacted_services: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) closed_date: Option<f64>,
    /// Set only by AWS responders, when they close a case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) closure_code: Option<String>,
    /// The model allows no empty metadata list, so an empty one is left out of responses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) case_metadata: Vec<StoredMetadataEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) case_attachments: Vec<Attachment>,
}

/// `CaseAttachmentAttributes` of the model: an upload URL was handed out (`Pending`), and the
/// file arrived (`Verified`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Attachment {
    pub(crate) attachment_id: String,
    pub(crate) file_name: String,
    pub(crate) attachment_status: String,
    pub(crate) creator: String,
    pub(crate) created_date: f64,
}

/// What the emulator keeps about an attachment beyond what GetCase shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AttachmentUpload {
    pub(crate) attachment_id: String,
    /// The size the upload URL was asked for; the upload must be exactly this long.
    pub(crate) content_length: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Comment {
    pub(crate) comment_id: String,
    pub(crate) created_date: f64,
    pub(crate) last_updated_date: f64,
    pub(crate) creator: String,
    pub(crate) last_updated_by: String,
    pub(crate) body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CaseEdit {
    pub(crate) event_timestamp: f64,
    pub(crate) principal: String,
    pub(crate) action: String,
    pub(crate) message: String,
}

/// A `clientToken` already used: the digest of the request it came with and what it created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IdempotencyRecord {
    pub(crate) request_digest: String,
    pub(crate) created_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoredCase {
    pub(crate) case_id: String,
    pub(crate) details: CaseDetails,
    pub(crate) tags: BTreeMap<String, String>,
    pub(crate) comments: Vec<Comment>,
    pub(crate) comment_tokens: BTreeMap<String, IdempotencyRecord>,
    pub(crate) edits: Vec<CaseEdit>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) uploads: Vec<AttachmentUpload>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) attachment_tokens: BTreeMap<String, IdempotencyRecord>,
    /// When the case became AWS-supported (created so, or handed over): what
    /// `--aws-responder-delay` counts from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) with_aws_since: Option<f64>,
}

impl StoredCase {
    pub(crate) fn is_closed(&self) -> bool {
        self.details.case_status == CaseStatus::Closed
    }

    /// Records a change to the case as `principal` made it, and when.
    pub(crate) fn record_edit(&mut self, now: f64, principal: &str, action: &str, message: String) {
        self.edits.push(CaseEdit {
            event_timestamp: now,
            principal: principal.to_string(),
            action: action.to_string(),
            message,
        });
        self.details.last_updated_date = now;
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct State {
    pub(crate) format_version: u32,
    /// Case ids are handed out in order from here, so listings are stable and ids never repeat
    /// within one state file.
    pub(crate) next_case_number: u64,
    pub(crate) cases: BTreeMap<String, StoredCase>,
    /// CreateCase client tokens by [`Partition::token_key`].
    pub(crate) create_tokens: HashMap<String, IdempotencyRecord>,
}

impl Default for State {
    fn default() -> Self {
        State {
            format_version: STATE_FORMAT_VERSION,
            next_case_number: 1,
            cases: BTreeMap::new(),
            create_tokens: HashMap::new(),
        }
    }
}

impl State {
    /// Client tokens stored before tokens were kept per partition get the partition of the
    /// case they created, so a retry after an upgrade still finds its case.
    pub(crate) fn upgrade_token_keys(&mut self) {
        let unscoped: Vec<String> = self
            .create_tokens
            .keys()
            .filter(|key| !key.starts_with("arn:"))
            .cloned()
            .collect();
        for token in unscoped {
            let Some(record) = self.create_tokens.remove(&token) else {
                continue;
            };
            if let Some(case) = self.cases.get(&record.created_id)
                && let Some((prefix, _)) = case.details.case_arn.rsplit_once("case/")
            {
                self.create_tokens
                    .insert(format!("{prefix}{token}"), record);
            }
        }
    }

    /// The case `case_id` as `partition` sees it: cases of other regions and accounts do not
    /// exist for it.
    pub(crate) fn case(&self, partition: &Partition, case_id: &str) -> Option<&StoredCase> {
        self.cases
            .get(case_id)
            .filter(|case| partition.owns(&case.details.case_arn))
    }

    pub(crate) fn case_mut(
        &mut self,
        partition: &Partition,
        case_id: &str,
    ) -> Option<&mut StoredCase> {
        self.cases
            .get_mut(case_id)
            .filter(|case| partition.owns(&case.details.case_arn))
    }

    /// The next unused 10-digit case id.
    pub(crate) fn allocate_case_id(&mut self) -> String {
        loop {
            let case_id = format!("{}", 1_000_000_000 + self.next_case_number);
            self.next_case_number += 1;
            if !self.cases.contains_key(&case_id) {
                return case_id;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partition_owns_exactly_the_arns_of_its_region_and_account() {
        let partition = Partition {
            region: "us-east-1".into(),
            account: "123456789012".into(),
        };
        let arn = partition.case_arn("1000000001");
        assert_eq!(
            arn,
            "arn:aws:security-ir:us-east-1:123456789012:case/1000000001"
        );
        assert!(partition.owns(&arn));
        for other in [
            "arn:aws:security-ir:us-east-10:123456789012:case/1000000001",
            "arn:aws:security-ir:eu-west-1:123456789012:case/1000000001",
            "arn:aws:security-ir:us-east-1:1234567890123:case/1000000001",
            "arn:aws:security-ir:us-east-1:210987654321:case/1000000001",
            "arn:aws:s3:us-east-1:123456789012:case/1000000001",
        ] {
            assert!(!partition.owns(other), "{other}");
        }
    }
}
