//! The live side: the Security IR API behind a small trait, so that discovery and the executor
//! do not know whether cases come from AWS, the local emulator or a test double of plain values.
//! `aws` implements it with the real SDK; `discover` binds manifests to live cases; `edits`
//! reads a case's edit history for the fields it explains.

pub mod aws;
pub mod discover;
pub mod edits;
#[cfg(test)]
pub(crate) mod memory;
pub mod pacing;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;

use futures::{StreamExt, stream};

use crate::model::{CaseEdit, CaseStatus, LiveCase, Timestamp};
use crate::request::Request;

/// One row of ListCases: enough to find owned cases without a GetCase for each, and to say
/// where each case stands (`sirops status`) without one either.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSummary {
    pub case_id: String,
    pub case_arn: String,
    pub status: Option<CaseStatus>,
    /// Whose turn it is, as the service spells it (`Customer`: AWS waits on the customer;
    /// `None`); kept as text so that a value added to the API later still shows.
    pub pending_action: Option<String>,
    pub last_updated: Option<Timestamp>,
}

/// A failed API call. The message is the service's own or the client's; it may name values
/// from the request, so it goes to the user's terminal, never into logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ApiError {
    pub operation: &'static str,
    pub kind: ApiErrorKind,
    pub message: String,
}

/// What kind of failure, so callers match a kind and people get a line they can act on.
/// [`ApiErrorKind::from_service_code`] is the one place that reads the service's error types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiErrorKind {
    /// `ResourceNotFoundException`: no such case (or not in this account and region).
    NotFound,
    /// `ConflictException`: the case's state refuses the call (closed, a status move already
    /// made, a client token reused for other content).
    Conflict,
    /// `ValidationException`: a value the API refuses.
    Validation,
    /// `AccessDeniedException`: the caller lacks the IAM action.
    AccessDenied,
    /// `SecurityIncidentResponseNotActiveException`: no membership in this account and region.
    NotActive,
    /// The credentials were refused as expired (`ExpiredTokenException` and kin).
    ExpiredCredentials(String),
    /// The credentials were refused as invalid (`UnrecognizedClientException` and kin).
    InvalidCredentials(String),
    /// Any other error type the service answered with (`InternalServerException`, ...).
    Service(String),
    /// The service refused the call for its rate (a 429, `ThrottlingException` and kin): the
    /// call took no effect and may be sent again, after `retry_after` when the service said.
    Throttled {
        code: String,
        retry_after: Option<std::time::Duration>,
    },
    /// No credential provider of the default chain had credentials.
    NoCredentials,
    /// A credential provider failed (an expired SSO session, a bad web identity token, ...).
    Credentials,
    /// No region was configured, so no endpoint could be chosen.
    NoRegion,
    /// The endpoint could not be reached (refused, DNS, TLS, timeout).
    Unreachable { endpoint: String },
    /// The request could not be built or its answer not read.
    Client,
    /// Not sent: sirops was told to stop (SIGTERM, SIGINT) and sends no new request.
    Stopped,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let operation = self.operation;
        let message = &self.message;
        match &self.kind {
            ApiErrorKind::Throttled { code, .. } => {
                write!(f, "{operation} failed: {code}: {message}")
            }
            ApiErrorKind::NotFound
            | ApiErrorKind::Conflict
            | ApiErrorKind::Validation
            | ApiErrorKind::AccessDenied
            | ApiErrorKind::NotActive
            | ApiErrorKind::ExpiredCredentials(_)
            | ApiErrorKind::InvalidCredentials(_)
            | ApiErrorKind::Service(_) => {
                let code = self.code().unwrap_or_default();
                write!(f, "{operation} failed: {code}: {message}")?;
                if let Some(fix) = self.kind.fix(operation) {
                    write!(f, " ({fix})")?;
                }
                Ok(())
            }
            ApiErrorKind::NoCredentials => write!(
                f,
                "no AWS credentials found: sirops looked in the environment (AWS_ACCESS_KEY_ID, AWS_PROFILE), the shared config and credentials files, web identity (AWS_WEB_IDENTITY_TOKEN_FILE), SSO, and container and instance metadata; configure one of them, or use --local, which needs none"
            ),
            ApiErrorKind::Credentials => write!(
                f,
                "could not get AWS credentials: {message}; refresh them (e.g. `aws sso login`) or check the profile, or use --local, which needs none"
            ),
            ApiErrorKind::NoRegion => write!(
                f,
                "no AWS region configured: pass --region, set AWS_REGION, or set region in the profile; --local needs none"
            ),
            ApiErrorKind::Unreachable { endpoint } => write!(
                f,
                "cannot reach the Security IR endpoint {endpoint} ({message}); check the network, --endpoint-url / AWS_ENDPOINT_URL_SECURITY_IR and --region"
            ),
            ApiErrorKind::Client => write!(f, "{operation} failed: {message}"),
            ApiErrorKind::Stopped => write!(f, "{operation} not sent: sirops is stopping"),
        }
    }
}

impl ApiErrorKind {
    /// The kind of a service error type, read from the code the service answered with.
    pub fn from_service_code(code: &str) -> ApiErrorKind {
        match code {
            "ResourceNotFoundException" => ApiErrorKind::NotFound,
            "ConflictException" => ApiErrorKind::Conflict,
            "ValidationException" => ApiErrorKind::Validation,
            "AccessDeniedException" => ApiErrorKind::AccessDenied,
            "SecurityIncidentResponseNotActiveException" => ApiErrorKind::NotActive,
            "ExpiredTokenException" | "ExpiredToken" | "RequestExpired" => {
                ApiErrorKind::ExpiredCredentials(code.to_string())
            }
            "UnrecognizedClientException"
            | "InvalidClientTokenId"
            | "InvalidSignatureException"
            | "SignatureDoesNotMatch" => ApiErrorKind::InvalidCredentials(code.to_string()),
            other => ApiErrorKind::Service(other.to_string()),
        }
    }

    /// A short name for the kind, for metrics labels: a fixed set, never the service's text.
    pub fn label(&self) -> &'static str {
        match self {
            ApiErrorKind::NotFound => "not_found",
            ApiErrorKind::Conflict => "conflict",
            ApiErrorKind::Validation => "validation",
            ApiErrorKind::AccessDenied => "access_denied",
            ApiErrorKind::NotActive => "not_active",
            ApiErrorKind::ExpiredCredentials(_) => "expired_credentials",
            ApiErrorKind::InvalidCredentials(_) => "invalid_credentials",
            ApiErrorKind::Service(_) => "service_error",
            ApiErrorKind::Throttled { .. } => "throttled",
            ApiErrorKind::NoCredentials => "no_credentials",
            ApiErrorKind::Credentials => "credentials",
            ApiErrorKind::NoRegion => "no_region",
            ApiErrorKind::Unreachable { .. } => "unreachable",
            ApiErrorKind::Client => "client",
            ApiErrorKind::Stopped => "stopped",
        }
    }

    /// The fix for a service error a person can act on, in a few words.
    fn fix(&self, operation: &str) -> Option<String> {
        Some(match self {
            ApiErrorKind::AccessDenied => format!(
                "the role or user lacks the IAM action security-ir:{operation}; the README lists the policy sirops needs"
            ),
            ApiErrorKind::NotActive => "Security Incident Response is not active in this account and region: activate a membership, check --region, or try sirops with --local".to_string(),
            ApiErrorKind::ExpiredCredentials(_) => {
                "the credentials have expired: refresh them (e.g. `aws sso login` or a new role session)".to_string()
            }
            ApiErrorKind::InvalidCredentials(_) => {
                "the credentials are not valid for this account: check the access key, the profile and the clock".to_string()
            }
            _ => return None,
        })
    }
}

impl ApiError {
    /// The service's error type, when the service answered.
    pub fn code(&self) -> Option<&str> {
        Some(match &self.kind {
            ApiErrorKind::NotFound => "ResourceNotFoundException",
            ApiErrorKind::Conflict => "ConflictException",
            ApiErrorKind::Validation => "ValidationException",
            ApiErrorKind::AccessDenied => "AccessDeniedException",
            ApiErrorKind::NotActive => "SecurityIncidentResponseNotActiveException",
            ApiErrorKind::ExpiredCredentials(code)
            | ApiErrorKind::InvalidCredentials(code)
            | ApiErrorKind::Service(code)
            | ApiErrorKind::Throttled { code, .. } => code,
            ApiErrorKind::NoCredentials
            | ApiErrorKind::Credentials
            | ApiErrorKind::NoRegion
            | ApiErrorKind::Unreachable { .. }
            | ApiErrorKind::Client
            | ApiErrorKind::Stopped => return None,
        })
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == ApiErrorKind::NotFound
    }

    /// True when no other call of the run can succeed either (no credentials, no region, an
    /// unreachable endpoint, expired or invalid credentials, the service not active): such a
    /// failure ends the run with one line instead of one error per case.
    pub fn stops_every_call(&self) -> bool {
        matches!(
            self.kind,
            ApiErrorKind::NoCredentials
                | ApiErrorKind::Credentials
                | ApiErrorKind::NoRegion
                | ApiErrorKind::Unreachable { .. }
                | ApiErrorKind::NotActive
                | ApiErrorKind::ExpiredCredentials(_)
                | ApiErrorKind::InvalidCredentials(_)
                | ApiErrorKind::Stopped
        )
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

    /// Every edit of the case, oldest first, all pages. A case that does not exist is
    /// [`ApiErrorKind::NotFound`].
    fn list_case_edits(
        &self,
        case_id: &str,
    ) -> impl Future<Output = Result<Vec<CaseEdit>, ApiError>> + Send;

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

    /// How the service throttled this client so far; nothing for a side that never throttles.
    fn pacing(&self) -> pacing::PacingReport {
        pacing::PacingReport::default()
    }

    /// Starts another run on the same client (a round of `reconcile`); see
    /// [`pacing::Pacer::begin_run`].
    fn begin_run(&self) {}

    /// Sends no new request from now on; see [`pacing::Pacer::stop`].
    fn stop(&self) {}
}

/// A case with its tags, read with GetCase and ListTagsForResource; `None` when it does not
/// exist.
pub(crate) async fn read_case_with_tags<A: CaseApi>(
    api: &A,
    case_id: &str,
) -> Result<Option<LiveCase>, ApiError> {
    let Some(live) = api.get_case(case_id).await? else {
        return Ok(None);
    };
    let tags = api.list_tags(&live.case_arn).await?;
    Ok(Some(LiveCase {
        tags: Some(tags),
        ..live
    }))
}

/// Runs `work` on every item, at most `limit` at once, and returns the results in input order.
/// `StreamExt::buffered` keeps the order too, but a finished result queued behind a slow one
/// still holds its slot: one call waiting out a retry backoff would stall every call after it.
pub(crate) async fn map_concurrently<T, U, Fut>(
    items: impl IntoIterator<Item = T>,
    limit: usize,
    work: impl Fn(T) -> Fut,
) -> Vec<U>
where
    Fut: Future<Output = U>,
{
    let mut results: Vec<(usize, U)> = stream::iter(items.into_iter().enumerate())
        .map(|(index, item)| {
            let result = work(item);
            async move { (index, result.await) }
        })
        .buffer_unordered(limit.max(1))
        .collect()
        .await;
    results.sort_unstable_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use tokio::sync::Notify;

    use super::*;

    fn failure(kind: ApiErrorKind) -> ApiError {
        ApiError {
            operation: "ListCases",
            kind,
            message: "details".into(),
        }
    }

    #[test]
    fn each_common_failure_says_what_to_do() {
        let service = |code: &str| failure(ApiErrorKind::from_service_code(code)).to_string();
        assert!(service("AccessDeniedException").contains("IAM action security-ir:ListCases"));
        assert!(
            service("SecurityIncidentResponseNotActiveException")
                .contains("not active in this account")
        );
        assert!(service("ExpiredTokenException").contains("expired"));
        assert!(
            failure(ApiErrorKind::NoCredentials)
                .to_string()
                .contains("--local")
        );
        assert!(
            failure(ApiErrorKind::NoRegion)
                .to_string()
                .contains("--region")
        );
        let unreachable = failure(ApiErrorKind::Unreachable {
            endpoint: "https://example.test".into(),
        });
        assert!(unreachable.to_string().contains("https://example.test"));
        assert_eq!(
            service("ValidationException"),
            "ListCases failed: ValidationException: details"
        );
    }

    #[test]
    fn service_codes_become_kinds_and_say_their_code_again() {
        let codes = [
            ("ResourceNotFoundException", ApiErrorKind::NotFound),
            ("ConflictException", ApiErrorKind::Conflict),
            ("ValidationException", ApiErrorKind::Validation),
            ("AccessDeniedException", ApiErrorKind::AccessDenied),
            (
                "SecurityIncidentResponseNotActiveException",
                ApiErrorKind::NotActive,
            ),
            (
                "ExpiredToken",
                ApiErrorKind::ExpiredCredentials("ExpiredToken".into()),
            ),
            (
                "InvalidSignatureException",
                ApiErrorKind::InvalidCredentials("InvalidSignatureException".into()),
            ),
            (
                "InternalServerException",
                ApiErrorKind::Service("InternalServerException".into()),
            ),
        ];
        for (code, kind) in codes {
            assert_eq!(ApiErrorKind::from_service_code(code), kind);
            assert_eq!(failure(kind).code(), Some(code));
        }
        assert!(failure(ApiErrorKind::NotFound).is_not_found());
        assert_eq!(failure(ApiErrorKind::Client).code(), None);
    }

    #[test]
    fn only_failures_no_call_can_get_past_stop_the_run() {
        assert!(failure(ApiErrorKind::NoCredentials).stops_every_call());
        assert!(
            failure(ApiErrorKind::from_service_code(
                "SecurityIncidentResponseNotActiveException"
            ))
            .stops_every_call()
        );
        assert!(
            !failure(ApiErrorKind::Throttled {
                code: "ThrottlingException".into(),
                retry_after: None
            })
            .stops_every_call()
        );
        assert!(!failure(ApiErrorKind::AccessDenied).stops_every_call());
        assert!(failure(ApiErrorKind::from_service_code("ExpiredToken")).stops_every_call());
        assert!(!failure(ApiErrorKind::Client).stops_every_call());
    }

    #[tokio::test]
    async fn a_slow_item_does_not_hold_back_the_items_after_it() {
        let started = AtomicUsize::new(0);
        let all_others_finished = Notify::new();
        let finished = AtomicUsize::new(0);
        let items = 0..6;
        let work = |item: usize| {
            let (started, finished, all_others_finished) =
                (&started, &finished, &all_others_finished);
            async move {
                started.fetch_add(1, Ordering::SeqCst);
                if item == 0 {
                    if finished.load(Ordering::SeqCst) < 5 {
                        all_others_finished.notified().await;
                    }
                } else if finished.fetch_add(1, Ordering::SeqCst) + 1 == 5 {
                    all_others_finished.notify_one();
                }
                item * 10
            }
        };
        let results =
            tokio::time::timeout(Duration::from_secs(10), map_concurrently(items, 2, work))
                .await
                .expect("the items after the slow first one never ran");
        assert_eq!(results, vec![0, 10, 20, 30, 40, 50]);
        assert_eq!(started.load(Ordering::SeqCst), 6);
    }

    #[tokio::test]
    async fn never_more_than_the_limit_at_once() {
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let results = map_concurrently(0..40, 3, |item: u64| {
            let (running, most) = (&running, &most);
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(40 - item)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                item
            }
        })
        .await;
        assert_eq!(results, (0..40).collect::<Vec<_>>());
        assert_eq!(most.load(Ordering::SeqCst), 3);
    }
}
