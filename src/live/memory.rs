//! The live side in memory, for unit tests of discovery and the executor: cases by id, tags
//! found by ARN as the service finds them, every call recorded in order, and comment refusals
//! on demand.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::{ApiError, ApiErrorKind, CaseApi, CaseSummary, RequestOutcome};
use crate::model::LiveCase;
use crate::request::Request;

#[derive(Default)]
pub(crate) struct MemoryApi {
    pub(crate) cases: BTreeMap<String, LiveCase>,
    /// CreateCaseComment answers ConflictException, as for a closed case.
    pub(crate) refuse_comments: bool,
    calls: Mutex<Vec<&'static str>>,
    tag_reads: Mutex<Vec<String>>,
}

impl MemoryApi {
    /// Every call so far, by operation, in order.
    pub(crate) fn calls(&self) -> Vec<&'static str> {
        self.calls.lock().unwrap().clone()
    }

    /// The ARNs tags were read for, in order.
    pub(crate) fn tag_reads(&self) -> Vec<String> {
        self.tag_reads.lock().unwrap().clone()
    }

    fn record(&self, operation: &'static str) {
        self.calls.lock().unwrap().push(operation);
    }
}

impl CaseApi for MemoryApi {
    async fn get_case(&self, case_id: &str) -> Result<Option<LiveCase>, ApiError> {
        self.record("GetCase");
        Ok(self.cases.get(case_id).map(|case| LiveCase {
            tags: None,
            ..case.clone()
        }))
    }

    async fn list_tags(&self, case_arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
        self.record("ListTagsForResource");
        self.tag_reads.lock().unwrap().push(case_arn.to_string());
        self.cases
            .values()
            .find(|case| case.case_arn == case_arn)
            .and_then(|case| case.tags.clone())
            .ok_or_else(|| ApiError {
                operation: "ListTagsForResource",
                kind: ApiErrorKind::NotFound,
                message: format!("no resource {case_arn}"),
            })
    }

    async fn list_cases(&self) -> Result<Vec<CaseSummary>, ApiError> {
        self.record("ListCases");
        Ok(self
            .cases
            .values()
            .map(|case| CaseSummary {
                case_id: case.case_id.clone(),
                case_arn: case.case_arn.clone(),
                status: Some(case.status),
            })
            .collect())
    }

    async fn send(&self, request: &Request) -> Result<RequestOutcome, ApiError> {
        self.record(request.operation());
        Ok(RequestOutcome::default())
    }

    async fn create_comment(&self, _case_id: &str, _body: &str) -> Result<(), ApiError> {
        self.record("CreateCaseComment");
        if self.refuse_comments {
            return Err(ApiError {
                operation: "CreateCaseComment",
                kind: ApiErrorKind::Conflict,
                message: "the case is closed".into(),
            });
        }
        Ok(())
    }
}
