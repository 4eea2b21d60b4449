//! `sirops status`: where each case stands, as one ListCases scan reports it.
//!
//! # Guarantees
//! - The only calls are ListCases, one per page of 25 cases: no GetCase, no tag read. The
//!   listing carries the status, the pending action and the last update of every case.
//! - Every manifest read has a row, whether or not it records a case id and whether or not the
//!   listing holds its case; `--all` adds every other listed case.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::live::{ApiError, CaseApi, CaseSummary};
use crate::manifest::LoadedManifest;
use crate::model::{CaseStatus, Timestamp};

/// The version of the JSON `status --format json` prints (`docs/reference.md`, "Status").
pub const FORMAT_VERSION: u32 = 1;

/// The pending action by which AWS says it waits on the customer.
pub const WAITING_ON_CUSTOMER: &str = "Customer";

/// What a row can say about a case's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveStatus {
    /// The status ListCases reports.
    Live(CaseStatus),
    /// The manifest records a case id the listing does not hold.
    Missing,
    /// No status is known: the manifest records no case id, or the listing named none that
    /// sirops knows.
    Unknown,
}

impl LiveStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LiveStatus::Live(status) => status.as_str(),
            LiveStatus::Missing => "missing",
            LiveStatus::Unknown => "unknown",
        }
    }
}

impl Serialize for LiveStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One case, or one manifest without a case id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusRow {
    /// `metadata.name` of the manifest of this row; `None` for a case no manifest names.
    pub name: Option<String>,
    /// `None` when the manifest records no case id.
    pub case_id: Option<String>,
    pub status: LiveStatus,
    /// As the service spells it (`Customer`, `None`); `None` when the listing said nothing.
    pub pending_action: Option<String>,
    pub last_updated: Option<Timestamp>,
    /// True for every manifest's row, false for the other cases `--all` lists.
    pub managed: bool,
    /// Where the manifest is written, for messages.
    #[serde(skip)]
    pub source: Option<String>,
}

impl StatusRow {
    /// AWS waits on the customer: the row a responder must not miss.
    pub fn waits_on_customer(&self) -> bool {
        self.pending_action.as_deref() == Some(WAITING_ON_CUSTOMER)
    }

    /// A listed case, with the manifest that names it if one does.
    fn listed(case: CaseSummary, manifest: Option<&LoadedManifest>) -> StatusRow {
        StatusRow {
            name: manifest.map(|manifest| manifest.desired.name.clone()),
            status: case.status.map_or(LiveStatus::Unknown, LiveStatus::Live),
            case_id: Some(case.case_id),
            pending_action: case.pending_action,
            last_updated: case.last_updated,
            managed: manifest.is_some(),
            source: manifest.map(LoadedManifest::source),
        }
    }

    fn not_listed(manifest: &LoadedManifest) -> StatusRow {
        let case_id = manifest.desired.case_id.clone();
        StatusRow {
            name: Some(manifest.desired.name.clone()),
            status: if case_id.is_some() {
                LiveStatus::Missing
            } else {
                LiveStatus::Unknown
            },
            case_id,
            pending_action: None,
            last_updated: None,
            managed: true,
            source: Some(manifest.source()),
        }
    }
}

/// Every row, managed ones first by manifest name, then the others by case id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub format_version: u32,
    pub cases: Vec<StatusRow>,
    pub waiting_on_customer: usize,
}

impl Status {
    /// The rows of manifests whose case id the listing does not hold.
    pub fn missing(&self) -> impl Iterator<Item = &StatusRow> {
        self.cases
            .iter()
            .filter(|row| row.status == LiveStatus::Missing)
    }

    /// The rows of manifests that record no case id.
    pub fn without_case_id(&self) -> impl Iterator<Item = &StatusRow> {
        self.cases.iter().filter(|row| row.case_id.is_none())
    }
}

/// Joins the manifests with the listing: each manifest's row, its case's when its case id is
/// listed, and with `all` a row for every listed case no manifest names.
pub fn join(manifests: &[LoadedManifest], listed: Vec<CaseSummary>, all: bool) -> Status {
    let mut listed: BTreeMap<String, CaseSummary> = listed
        .into_iter()
        .map(|case| (case.case_id.clone(), case))
        .collect();
    let mut cases: Vec<StatusRow> = manifests
        .iter()
        .map(|manifest| {
            let case = manifest
                .desired
                .case_id
                .as_ref()
                .and_then(|case_id| listed.remove(case_id));
            match case {
                Some(case) => StatusRow::listed(case, Some(manifest)),
                None => StatusRow::not_listed(manifest),
            }
        })
        .collect();
    cases.sort_by(|left, right| left.name.cmp(&right.name));
    if all {
        // By case id already: the map's order.
        cases.extend(
            listed
                .into_values()
                .map(|case| StatusRow::listed(case, None)),
        );
    }
    let waiting_on_customer = cases.iter().filter(|row| row.waits_on_customer()).count();
    Status {
        format_version: FORMAT_VERSION,
        cases,
        waiting_on_customer,
    }
}

/// Lists every case once and joins the listing with the manifests.
pub async fn read_status<A: CaseApi>(
    api: &A,
    manifests: &[LoadedManifest],
    all: bool,
) -> Result<Status, ApiError> {
    let listed = api.list_cases().await?;
    Ok(join(manifests, listed, all))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::live::memory::MemoryApi;
    use crate::plan::fixtures::{desired_case, live_case};

    fn manifest(name: &str, case_id: Option<&str>) -> LoadedManifest {
        LoadedManifest {
            desired: crate::model::DesiredCase {
                case_id: case_id.map(str::to_string),
                ..desired_case(name)
            },
            ignore: Vec::new(),
            file: PathBuf::from(format!("cases/{name}.yaml")),
            line: 1,
        }
    }

    fn listed(case_id: &str, status: CaseStatus, pending_action: &str) -> CaseSummary {
        CaseSummary {
            case_id: case_id.into(),
            case_arn: format!("arn:aws:security-ir:us-east-1:123456789012:case/{case_id}"),
            status: Some(status),
            pending_action: Some(pending_action.into()),
            last_updated: Some(Timestamp::from_epoch_millis(1_795_161_600_000)),
        }
    }

    /// `name`, `caseId`, `status`, `pendingAction` and `managed` of a row.
    type Row<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        &'a str,
        Option<&'a str>,
        bool,
    );

    fn rows(status: &Status) -> Vec<Row<'_>> {
        status
            .cases
            .iter()
            .map(|row| {
                (
                    row.name.as_deref(),
                    row.case_id.as_deref(),
                    row.status.as_str(),
                    row.pending_action.as_deref(),
                    row.managed,
                )
            })
            .collect()
    }

    #[test]
    fn each_manifest_gets_its_listed_case_and_the_others_are_left_out() {
        let manifests = [
            manifest("phishing", Some("0000000002")),
            manifest("payroll", Some("0000000001")),
        ];
        let listing = vec![
            listed("0000000003", CaseStatus::Submitted, "Customer"),
            listed("0000000002", CaseStatus::Acknowledged, "Customer"),
            listed("0000000001", CaseStatus::DetectionAndAnalysis, "None"),
        ];
        let status = join(&manifests, listing, false);
        assert_eq!(
            rows(&status),
            [
                (
                    Some("payroll"),
                    Some("0000000001"),
                    "Detection and Analysis",
                    Some("None"),
                    true
                ),
                (
                    Some("phishing"),
                    Some("0000000002"),
                    "Acknowledged",
                    Some("Customer"),
                    true
                ),
            ]
        );
        assert_eq!(
            status.waiting_on_customer, 1,
            "an unlisted row is not counted"
        );
        assert_eq!(
            status.cases[0].last_updated,
            Some(Timestamp::from_epoch_millis(1_795_161_600_000))
        );
        assert_eq!(
            status.cases[1].source.as_deref(),
            Some("cases/phishing.yaml:1")
        );
    }

    #[test]
    fn all_adds_the_other_cases_unmanaged_after_the_manifests_by_case_id() {
        let manifests = [manifest("zeta", Some("0000000005"))];
        let listing = vec![
            listed("0000000009", CaseStatus::Closed, "None"),
            listed("0000000005", CaseStatus::Submitted, "None"),
            listed("0000000001", CaseStatus::Acknowledged, "Customer"),
        ];
        let status = join(&manifests, listing, true);
        assert_eq!(
            rows(&status),
            [
                (
                    Some("zeta"),
                    Some("0000000005"),
                    "Submitted",
                    Some("None"),
                    true
                ),
                (
                    None,
                    Some("0000000001"),
                    "Acknowledged",
                    Some("Customer"),
                    false
                ),
                (None, Some("0000000009"), "Closed", Some("None"), false),
            ]
        );
        assert_eq!(status.waiting_on_customer, 1);
        assert_eq!(status.cases[1].source, None);
    }

    #[test]
    fn a_case_id_not_listed_is_missing_and_no_case_id_is_unknown() {
        let manifests = [manifest("gone", Some("0000000007")), manifest("new", None)];
        let status = join(&manifests, vec![], true);
        assert_eq!(
            rows(&status),
            [
                (Some("gone"), Some("0000000007"), "missing", None, true),
                (Some("new"), None, "unknown", None, true),
            ]
        );
        let missing: Vec<_> = status.missing().map(|row| row.name.as_deref()).collect();
        assert_eq!(missing, [Some("gone")]);
        let unrecorded: Vec<_> = status
            .without_case_id()
            .map(|row| row.name.as_deref())
            .collect();
        assert_eq!(unrecorded, [Some("new")]);
        assert_eq!(status.waiting_on_customer, 0);
    }

    #[test]
    fn a_listed_case_without_a_known_status_or_pending_action_says_so() {
        let case = CaseSummary {
            status: None,
            pending_action: None,
            last_updated: None,
            ..listed("0000000001", CaseStatus::Submitted, "None")
        };
        let status = join(&[manifest("odd", Some("0000000001"))], vec![case], false);
        assert_eq!(
            rows(&status),
            [(Some("odd"), Some("0000000001"), "unknown", None, true)]
        );
    }

    #[test]
    fn the_json_names_each_field_as_documented() {
        let manifests = [
            manifest("payroll", Some("0000000001")),
            manifest("new", None),
        ];
        let listing = vec![
            listed("0000000001", CaseStatus::Acknowledged, "Customer"),
            listed("0000000002", CaseStatus::Submitted, "None"),
        ];
        let json = serde_json::to_value(join(&manifests, listing, true)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "formatVersion": 1,
                "cases": [
                    {"name": "new", "caseId": null, "status": "unknown", "pendingAction": null,
                     "lastUpdated": null, "managed": true},
                    {"name": "payroll", "caseId": "0000000001", "status": "Acknowledged",
                     "pendingAction": "Customer", "lastUpdated": "2026-11-20T08:00:00Z",
                     "managed": true},
                    {"name": null, "caseId": "0000000002", "status": "Submitted",
                     "pendingAction": "None", "lastUpdated": "2026-11-20T08:00:00Z",
                     "managed": false},
                ],
                "waitingOnCustomer": 1,
            })
        );
    }

    #[tokio::test]
    async fn status_reads_only_the_listing() {
        let api = MemoryApi::default();
        api.add_case(live_case("1234567890", "payroll", CaseStatus::Submitted));
        api.add_case(live_case("1234567891", "other", CaseStatus::Submitted));
        api.set_pending_action("1234567890", "Customer");
        let manifests = [
            manifest("payroll", Some("1234567890")),
            manifest("new", None),
        ];
        let status = read_status(&api, &manifests, true).await.unwrap();
        assert_eq!(api.calls(), ["ListCases"]);
        assert_eq!(status.waiting_on_customer, 1);
        assert_eq!(status.cases.len(), 3);
    }
}
