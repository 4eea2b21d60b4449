//! HTTP in and out: matches each request to its operation by method and path as the API model
//! declares them, applies latency and injected faults, runs the operation and writes the
//! restJson1 response. The two `/_emulator/*` paths are served apart and never faulted.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::emulator::api_error::ApiError;
use crate::emulator::faults::Fault;
use crate::emulator::operations::{self as ops, CallContext, Reply};
use crate::emulator::server::ConnectionKiller;
use crate::emulator::shared::Shared;
use crate::emulator::validation::check_case_id;
use crate::emulator::wire::parse_body;

/// Larger than any request the model allows.
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// How long a throttled or failed client is told to wait.
const RETRY_AFTER_SECONDS: u32 = 1;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_emulator/stats", get(stats))
        .route("/_emulator/reset", post(reset))
        .fallback(aws_request)
        .with_state(shared)
}

async fn stats(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(shared.stats_snapshot()).into_response()
}

async fn reset(State(shared): State<Arc<Shared>>) -> Response {
    match shared.reset().await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => {
            tracing::error!(%error, "reset could not store the empty state");
            (StatusCode::INTERNAL_SERVER_ERROR, "reset failed").into_response()
        }
    }
}

/// An operation with its URI members (percent-decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    CreateCase,
    GetCase(String),
    ListCases,
    UpdateCase(String),
    UpdateCaseStatus(String),
    CloseCase(String),
    UpdateResolverType(String),
    TagResource(String),
    UntagResource(String),
    ListTagsForResource(String),
    CreateCaseComment(String),
    ListComments(String),
    ListCaseEdits(String),
}

impl Route {
    fn operation(&self) -> &'static str {
        match self {
            Route::CreateCase => "CreateCase",
            Route::GetCase(_) => "GetCase",
            Route::ListCases => "ListCases",
            Route::UpdateCase(_) => "UpdateCase",
            Route::UpdateCaseStatus(_) => "UpdateCaseStatus",
            Route::CloseCase(_) => "CloseCase",
            Route::UpdateResolverType(_) => "UpdateResolverType",
            Route::TagResource(_) => "TagResource",
            Route::UntagResource(_) => "UntagResource",
            Route::ListTagsForResource(_) => "ListTagsForResource",
            Route::CreateCaseComment(_) => "CreateCaseComment",
            Route::ListComments(_) => "ListComments",
            Route::ListCaseEdits(_) => "ListCaseEdits",
        }
    }
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = text.get(index + 1..index + 3)?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

fn route(method: &Method, path: &str) -> Option<Route> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        (&Method::POST, ["", "v1", "create-case"]) => Some(Route::CreateCase),
        (&Method::POST, ["", "v1", "list-cases"]) => Some(Route::ListCases),
        (_, ["", "v1", "cases", case_id, action]) => {
            let case_id = percent_decode(case_id)?;
            match (method, *action) {
                (&Method::GET, "get-case") => Some(Route::GetCase(case_id)),
                (&Method::POST, "update-case") => Some(Route::UpdateCase(case_id)),
                (&Method::POST, "update-case-status") => Some(Route::UpdateCaseStatus(case_id)),
                (&Method::POST, "close-case") => Some(Route::CloseCase(case_id)),
                (&Method::POST, "update-resolver-type") => Some(Route::UpdateResolverType(case_id)),
                (&Method::POST, "create-comment") => Some(Route::CreateCaseComment(case_id)),
                (&Method::POST, "list-comments") => Some(Route::ListComments(case_id)),
                (&Method::POST, "list-case-edits") => Some(Route::ListCaseEdits(case_id)),
                _ => None,
            }
        }
        (_, ["", "v1", "tags", arn]) => {
            let arn = percent_decode(arn)?;
            match *method {
                Method::POST => Some(Route::TagResource(arn)),
                Method::DELETE => Some(Route::UntagResource(arn)),
                Method::GET => Some(Route::ListTagsForResource(arn)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The values of a repeated query parameter (`tagKeys=a&tagKeys=b`).
fn query_values(query: Option<&str>, name: &str) -> Vec<String> {
    query
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key)? == name).then(|| percent_decode(value))?
        })
        .collect()
}

/// The region of the SigV4 credential scope (`Credential=AKID/DATE/REGION/SERVICE/aws4_request`),
/// when it looks like a region a case ARN can name.
fn signing_region(headers: &HeaderMap) -> Option<String> {
    let authorization = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let credential = authorization.split("Credential=").nth(1)?;
    let region = credential.split('/').nth(2)?;
    let parts: Vec<&str> = region.split('-').collect();
    let plausible = parts.len() >= 3
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()))
        && parts.last()?.chars().all(|c| c.is_ascii_digit());
    plausible.then(|| region.to_string())
}

/// Any SigV4 signature is accepted, but an unsigned request is refused, as the service does.
fn is_signed(headers: &HeaderMap, query: Option<&str>) -> bool {
    let signed_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("AWS4-"));
    signed_header || query.is_some_and(|query| query.contains("X-Amz-Signature="))
}

fn now_epoch_seconds() -> f64 {
    let millis = jiff::Timestamp::now().as_millisecond();
    millis as f64 / 1000.0
}

async fn aws_request(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let route = route(&parts.method, parts.uri.path());
    let operation = route.as_ref().map_or("Unknown", Route::operation);
    shared.stats.record_request(operation);
    if !shared.latency.is_zero() {
        tokio::time::sleep(shared.latency).await;
    }
    let killer = parts.extensions.get::<ConnectionKiller>().cloned();

    let fault = shared.faults.next();
    if let Some(fault) = fault {
        shared.stats.record_fault(fault.stats_name());
    }
    let injected = match fault {
        Some(Fault::Throttle) => Some(ApiError::Throttling {
            message: "Rate exceeded".to_string(),
            retry_after_seconds: RETRY_AFTER_SECONDS,
        }),
        Some(Fault::InternalError) => Some(ApiError::InternalServer {
            message: "The service could not process the request; try again".to_string(),
            retry_after_seconds: Some(RETRY_AFTER_SECONDS),
        }),
        Some(Fault::DropBefore) => return drop_connection(killer).await,
        Some(Fault::LoseResponse) | None => None,
    };
    let result = match injected {
        Some(error) => Err(error),
        None => match axum::body::to_bytes(body, BODY_LIMIT).await {
            Err(_) => Err(ApiError::cannot_parse("The request body could not be read")),
            Ok(body) => {
                let query = parts.uri.query();
                if !is_signed(&parts.headers, query) {
                    Err(ApiError::AccessDenied {
                        message: "The request is not signed with AWS Signature Version 4"
                            .to_string(),
                    })
                } else {
                    let context = CallContext {
                        region: signing_region(&parts.headers)
                            .unwrap_or_else(|| "us-east-1".to_string()),
                        now: now_epoch_seconds(),
                    };
                    match route {
                        Some(route) => execute(&shared, route, &context, query, body).await,
                        None => Err(ApiError::UnknownOperation {
                            message: format!(
                                "No operation matches {} {}",
                                parts.method,
                                parts.uri.path()
                            ),
                        }),
                    }
                }
            }
        },
    };

    if let Ok(reply) = &result {
        shared.stats.record_redundant(reply.redundant);
    }
    if fault == Some(Fault::LoseResponse) {
        return drop_connection(killer).await;
    }
    match result {
        Ok(reply) => reply_response(reply),
        Err(error) => {
            shared.stats.record_error(error.type_name());
            error.into_response()
        }
    }
}

async fn execute(
    shared: &Shared,
    route: Route,
    context: &CallContext,
    query: Option<&str>,
    body: Bytes,
) -> Result<Reply, ApiError> {
    match route {
        Route::CreateCase => {
            let input = parse_body(&body)?;
            ops::validate_create_case(&input)?;
            let digest = ops::request_digest(&body);
            shared
                .change(|state| ops::create_case(state, context, input, digest))
                .await
        }
        Route::GetCase(case_id) => {
            check_case_id(&case_id)?;
            ops::get_case(&shared.read(), &case_id)
        }
        Route::ListCases => ops::list_cases(&shared.read(), &parse_body(&body)?),
        Route::UpdateCase(case_id) => {
            check_case_id(&case_id)?;
            let input = parse_body(&body)?;
            ops::validate_update_case(&input)?;
            shared
                .change(|state| ops::update_case(state, context, &case_id, input))
                .await
        }
        Route::UpdateCaseStatus(case_id) => {
            check_case_id(&case_id)?;
            let input = parse_body(&body)?;
            shared
                .change(|state| ops::update_case_status(state, context, &case_id, input))
                .await
        }
        Route::CloseCase(case_id) => {
            check_case_id(&case_id)?;
            shared
                .change(|state| ops::close_case(state, context, &case_id))
                .await
        }
        Route::UpdateResolverType(case_id) => {
            check_case_id(&case_id)?;
            let input = parse_body(&body)?;
            shared
                .change(|state| ops::update_resolver_type(state, context, &case_id, input))
                .await
        }
        Route::TagResource(arn) => {
            let input = parse_body(&body)?;
            shared
                .change(|state| ops::tag_resource(state, context, &arn, input))
                .await
        }
        Route::UntagResource(arn) => {
            let tag_keys = query_values(query, "tagKeys");
            shared
                .change(|state| ops::untag_resource(state, context, &arn, tag_keys))
                .await
        }
        Route::ListTagsForResource(arn) => ops::list_tags_for_resource(&shared.read(), &arn),
        Route::CreateCaseComment(case_id) => {
            check_case_id(&case_id)?;
            let input = parse_body(&body)?;
            let digest = ops::request_digest(&body);
            shared
                .change(|state| ops::create_case_comment(state, context, &case_id, input, digest))
                .await
        }
        Route::ListComments(case_id) => {
            check_case_id(&case_id)?;
            ops::list_comments(&shared.read(), &case_id, &parse_body(&body)?)
        }
        Route::ListCaseEdits(case_id) => {
            check_case_id(&case_id)?;
            ops::list_case_edits(&shared.read(), &case_id, &parse_body(&body)?)
        }
    }
}

fn reply_response(reply: Reply) -> Response {
    match reply.body {
        None => reply.status.into_response(),
        Some(body) => {
            let mut response = (reply.status, body).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
    }
}

/// Ends the connection without an answer. Served by our own connection loop, the request's
/// connection is closed under it (the client sees an I/O error, no response). Served any other
/// way, the best available is a response whose body fails at once.
async fn drop_connection(killer: Option<ConnectionKiller>) -> Response {
    match killer {
        Some(killer) => {
            killer.kill();
            std::future::pending::<Response>().await
        }
        None => Response::new(Body::new(FailingBody)),
    }
}

struct FailingBody;

impl hyper::body::Body for FailingBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::from(
            std::io::ErrorKind::ConnectionAborted,
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_found_by_its_method_and_path() {
        let arn = "arn%3Aaws%3Asecurity-ir%3Aus-east-1%3A123456789012%3Acase%2F1000000001";
        let cases = [
            (Method::POST, "/v1/create-case".to_string(), "CreateCase"),
            (
                Method::GET,
                "/v1/cases/1000000001/get-case".into(),
                "GetCase",
            ),
            (Method::POST, "/v1/list-cases".into(), "ListCases"),
            (
                Method::POST,
                "/v1/cases/1000000001/update-case".into(),
                "UpdateCase",
            ),
            (
                Method::POST,
                "/v1/cases/1000000001/update-case-status".into(),
                "UpdateCaseStatus",
            ),
            (
                Method::POST,
                "/v1/cases/1000000001/close-case".into(),
                "CloseCase",
            ),
            (
                Method::POST,
                "/v1/cases/1000000001/update-resolver-type".into(),
                "UpdateResolverType",
            ),
            (Method::POST, format!("/v1/tags/{arn}"), "TagResource"),
            (Method::DELETE, format!("/v1/tags/{arn}"), "UntagResource"),
            (
                Method::GET,
                format!("/v1/tags/{arn}"),
                "ListTagsForResource",
            ),
            (
                Method::POST,
                "/v1/cases/1000000001/create-comment".into(),
                "CreateCaseComment",
            ),
            (
                Method::POST,
                "/v1/cases/1000000001/list-comments".into(),
                "ListComments",
            ),
            (
                Method::POST,
                "/v1/cases/1000000001/list-case-edits".into(),
                "ListCaseEdits",
            ),
        ];
        for (method, path, operation) in cases {
            let found = route(&method, &path).map(|route| route.operation());
            assert_eq!(found, Some(operation), "{method} {path}");
        }
        assert_eq!(
            route(&Method::GET, &format!("/v1/tags/{arn}")),
            Some(Route::ListTagsForResource(
                "arn:aws:security-ir:us-east-1:123456789012:case/1000000001".into()
            ))
        );
        assert_eq!(route(&Method::GET, "/v1/create-case"), None);
        assert_eq!(route(&Method::POST, "/v1/cases/1/delete-case"), None);
    }

    #[test]
    fn repeated_query_parameters_and_the_signing_region_are_read() {
        assert_eq!(
            query_values(Some("tagKeys=a&tagKeys=b%3Ac&other=x"), "tagKeys"),
            ["a", "b:c"]
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/security-ir/aws4_request, SignedHeaders=host, Signature=00",
            ),
        );
        assert_eq!(signing_region(&headers).as_deref(), Some("eu-west-1"));
        assert!(is_signed(&headers, None));
        assert!(!is_signed(&HeaderMap::new(), Some("a=b")));
    }
}
