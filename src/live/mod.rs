//! The live side: the Security IR API behind a small trait, so that discovery and the executor
//! do not know whether cases come from AWS, the local emulator or a test double of plain values.
//! `aws` implements it with the real SDK; `discover` binds manifests to live cases.

pub mod aws;
pub mod discover;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;

use crate::model::{CaseStatus, LiveCase};
use crate::request::Request;

/// One row of ListCases: enough to find owned cases without a GetCase for each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSummary {
    pub case_id: String,
    pub case_arn: String,
    pub status: Option<CaseStatus>,
}

/// A failed API call, as the API described it. The message is the service's own; it may name
/// values from the request, so it goes to the user's terminal, never into logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ApiError {
    pub operation: &'static str,
    /// The API's error type (`ValidationException`, ...), when the service answered.
    pub code: Option<String>,
    pub message: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{} failed: {code}: {}", self.operation, self.message),
            None => write!(f, "{} failed: {}", self.operation, self.message),
        }
    }
}

impl ApiError {
    pub fn is_not_found(&self) -> bool {
        self.code.as_deref() == Some("ResourceNotFoundException")
    }
}

/// What a request returned that later requests of the same case need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestOutcome {
    /// Set by CreateCase.
    pub created_case_id: Option<String>,
}

/// The operations sirops uses. Methods take `&self` and may run concurrently.
pub trait CaseApi: Send + Sync {
    /// `Ok(None)` when no case has that id. The returned case has `tags: None`.
    fn get_case(
        &self,
        case_id: &str,
    ) -> impl Future<Output = Result<Option<LiveCase>, ApiError>> + Send;

    fn list_tags(
        &self,
        case_arn: &str,
    ) -> impl Future<Output = Result<BTreeMap<String, String>, ApiError>> + Send;

    /// Every case the caller can see, all pages.
    fn list_cases(&self) -> impl Future<Output = Result<Vec<CaseSummary>, ApiError>> + Send;

    /// Sends one planned request. Its `caseId`/`resourceArn` must already be filled in.
    fn send(
        &self,
        request: &Request,
    ) -> impl Future<Output = Result<RequestOutcome, ApiError>> + Send;

    fn create_comment(
        &self,
        case_id: &str,
        body: &str,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;
}
