//! What the emulator remembers: cases with their tags, comments and edit history, and the
//! CreateCase idempotency tokens. The whole `State` is what `--state FILE` holds, so it
//! serialises as one JSON document; `CaseDetails` serialises exactly as the GetCase response.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::model::{CaseStatus, EngagementType, ResolverType};

/// The account every emulated case belongs to.
pub(crate) const ACCOUNT_ID: &str = "123456789012";

/// Who the emulator says made an edit or a comment (a `PrincipalId` of the model).
pub(crate) const PRINCIPAL: &str = "arn:aws:iam::123456789012:root";

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
    /// The model allows no empty metadata list, so an empty one is left out of responses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) case_metadata: Vec<StoredMetadataEntry>,
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
}

impl StoredCase {
    pub(crate) fn is_closed(&self) -> bool {
        self.details.case_status == CaseStatus::Closed
    }

    pub(crate) fn record_edit(&mut self, now: f64, action: &str, message: String) {
        self.edits.push(CaseEdit {
            event_timestamp: now,
            principal: PRINCIPAL.to_string(),
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
