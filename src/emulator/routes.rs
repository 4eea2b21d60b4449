//! HTTP in and out: matches each request to its operation by method and path as the API model
//! declares them, reads who signed it and for which region, applies latency, injected faults,
//! the membership check and the rate limits, runs the operation and writes the restJson1
//! response, every one with an `x-amzn-RequestId`. The `/_emulator/*` paths (stats, reset,
//! act-as-aws) are served apart and never faulted, throttled or counted.

use std::borrow::Cow;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::emulator::faults::Fault;
use crate::emulator::operations::{
    self as ops, CallContext, Reply, attachments, cases, comments, memberships, responder, tags,
};
use crate::emulator::rate_limit::quota_code;
use crate::emulator::server::ConnectionKiller;
use crate::emulator::service_error::ServiceError;
use crate::emulator::shared::Shared;
use crate::emulator::store::{Partition, State as StoredState};
use crate::emulator::wire::parse_body;

/// Larger than any request the model allows.
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// How long a client hit by an injected fault is told to wait.
const RETRY_AFTER_SECONDS: u32 = 1;

/// The region of a call whose signature names none the emulator can read.
const DEFAULT_REGION: &str = "us-east-1";

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_emulator/stats", get(stats))
        .route("/_emulator/reset", post(reset))
        .route("/_emulator/act-as-aws", post(act_as_aws))
        .fallback(aws_request)
        .with_state(shared)
}

/// Every answer carries a request id, as the service's do, for clients that log it. Set by
/// each handler rather than a middleware layer, and built without formatting: it is on every
/// response of the hot path.
fn with_request_id(mut response: Response) -> Response {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let random: [u8; 16] = rand::random();
    let mut id = [b'-'; 36];
    let mut at = 0;
    for (index, byte) in random.iter().enumerate() {
        if matches!(index, 4 | 6 | 8 | 10) {
            at += 1;
        }
        id[at] = HEX[usize::from(byte >> 4)];
        id[at + 1] = HEX[usize::from(byte & 0xf)];
        at += 2;
    }
    if let Ok(value) = HeaderValue::from_bytes(&id) {
        response.headers_mut().insert("x-amzn-RequestId", value);
    }
    response
}

async fn stats(State(shared): State<Arc<Shared>>) -> Response {
    with_request_id(axum::Json(shared.stats_snapshot()).into_response())
}

async fn reset(State(shared): State<Arc<Shared>>) -> Response {
    with_request_id(match shared.reset().await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => {
            tracing::error!(%error, "reset could not store the empty state");
            (StatusCode::INTERNAL_SERVER_ERROR, "reset failed").into_response()
        }
    })
}

/// `POST /_emulator/act-as-aws`: an AWS responder works the case the body names.
async fn act_as_aws(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let action = match parse_body::<responder::ResponderAction>(&body) {
        Ok(action) => action,
        Err(error) => return with_request_id(error.into_response()),
    };
    let now = now_epoch_seconds();
    match shared
        .change(|state| responder::act_as_aws(state, action, now))
        .await
    {
        Ok(reply) => reply_response(reply),
        Err(error) => with_request_id(error.into_response()),
    }
}

/// An operation of the model with its URI members (percent-decoded).
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
    UpdateCaseComment(String, String),
    ListComments(String),
    ListCaseEdits(String),
    GetCaseAttachmentUploadUrl(String),
    GetCaseAttachmentDownloadUrl(String, String),
    GetMembership(String),
    ListMemberships,
    /// An operation of the model the emulator does not emulate (memberships beyond reading,
    /// investigations, feedback, metrics).
    NotEmulated(&'static str),
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
            Route::UpdateCaseComment(..) => "UpdateCaseComment",
            Route::ListComments(_) => "ListComments",
            Route::ListCaseEdits(_) => "ListCaseEdits",
            Route::GetCaseAttachmentUploadUrl(_) => "GetCaseAttachmentUploadUrl",
            Route::GetCaseAttachmentDownloadUrl(..) => "GetCaseAttachmentDownloadUrl",
            Route::GetMembership(_) => "GetMembership",
            Route::ListMemberships => "ListMemberships",
            Route::NotEmulated(operation) => operation,
        }
    }

    /// The operations on cases, which an account without a membership cannot use.
    fn is_case_operation(&self) -> bool {
        !matches!(
            self,
            Route::GetMembership(_) | Route::ListMemberships | Route::NotEmulated(_)
        )
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

/// A URI member, decoded only when it holds an escape: this runs on every request.
fn decoded(value: &str) -> Option<String> {
    if value.contains('%') {
        percent_decode(value)
    } else {
        Some(value.to_string())
    }
}

/// The operation a method and path name, as the model's `http` traits declare them.
fn route(method: &Method, path: &str) -> Option<Route> {
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    Some(match (method, parts.as_slice()) {
        (_, ["", "v1", "cases", case, rest @ ..]) => return case_route(method, case, rest),
        (&Method::POST, ["", "v1", "create-case"]) => Route::CreateCase,
        (&Method::POST, ["", "v1", "list-cases"]) => Route::ListCases,
        (&Method::POST, ["", "v1", "tags", arn]) => Route::TagResource(decoded(arn)?),
        (&Method::DELETE, ["", "v1", "tags", arn]) => Route::UntagResource(decoded(arn)?),
        (&Method::GET, ["", "v1", "tags", arn]) => Route::ListTagsForResource(decoded(arn)?),
        (&Method::GET, ["", "v1", "membership", membership]) => {
            Route::GetMembership(decoded(membership)?)
        }
        (&Method::POST, ["", "v1", "memberships"]) => Route::ListMemberships,
        (&Method::POST, ["", "v1", "membership"]) => Route::NotEmulated("CreateMembership"),
        (&Method::PUT, ["", "v1", "membership", _]) => Route::NotEmulated("CancelMembership"),
        (&Method::PUT, ["", "v1", "membership", _, "update-membership"]) => {
            Route::NotEmulated("UpdateMembership")
        }
        (&Method::POST, ["", "v1", "membership", _, "batch-member-details"]) => {
            Route::NotEmulated("BatchGetMemberAccountDetails")
        }
        (&Method::GET, ["", "v1", "membership", _, "finding-metrics"]) => {
            Route::NotEmulated("GetFindingMetrics")
        }
        _ => return None,
    })
}

/// The operations under `/v1/cases/{caseId}/`: `rest` is the path after the case id, which is
/// decoded only for the operations the emulator serves.
fn case_route(method: &Method, case: &str, rest: &[&str]) -> Option<Route> {
    Some(match (method, rest) {
        (&Method::GET, ["get-case"]) => Route::GetCase(decoded(case)?),
        (&Method::POST, ["update-case"]) => Route::UpdateCase(decoded(case)?),
        (&Method::POST, ["update-case-status"]) => Route::UpdateCaseStatus(decoded(case)?),
        (&Method::POST, ["close-case"]) => Route::CloseCase(decoded(case)?),
        (&Method::POST, ["update-resolver-type"]) => Route::UpdateResolverType(decoded(case)?),
        (&Method::POST, ["create-comment"]) => Route::CreateCaseComment(decoded(case)?),
        (&Method::PUT, ["update-case-comment", comment]) => {
            Route::UpdateCaseComment(decoded(case)?, decoded(comment)?)
        }
        (&Method::POST, ["list-comments"]) => Route::ListComments(decoded(case)?),
        (&Method::POST, ["list-case-edits"]) => Route::ListCaseEdits(decoded(case)?),
        (&Method::POST, ["get-presigned-url"]) => Route::GetCaseAttachmentUploadUrl(decoded(case)?),
        (&Method::GET, ["get-presigned-url", attachment]) => {
            Route::GetCaseAttachmentDownloadUrl(decoded(case)?, decoded(attachment)?)
        }
        (&Method::GET, ["list-investigations"]) => Route::NotEmulated("ListInvestigations"),
        (&Method::POST, ["feedback", _, "send-feedback"]) => Route::NotEmulated("SendFeedback"),
        _ => return None,
    })
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

/// The SigV4 credential scope (`Credential=AKID/DATE/REGION/SERVICE/aws4_request`), from the
/// `Authorization` header or a presigned query.
#[derive(Debug, Default, PartialEq, Eq)]
struct Scope<'a> {
    access_key: Cow<'a, str>,
    region: Cow<'a, str>,
}

fn credential_scope<'a>(headers: &'a HeaderMap, query: Option<&'a str>) -> Option<Scope<'a>> {
    if let Some(authorization) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
    {
        // Clients put the credential right after the algorithm; search only otherwise.
        let credential = authorization
            .split_once(' ')
            .and_then(|(_, rest)| rest.strip_prefix("Credential="))
            .or_else(|| authorization.split("Credential=").nth(1))?;
        let mut parts = credential.splitn(4, '/');
        let access_key = parts.next()?;
        let region = parts.nth(1)?;
        return Some(Scope {
            access_key: Cow::Borrowed(access_key),
            region: Cow::Borrowed(region),
        });
    }
    // A presigned query carries the scope percent-encoded.
    let credential = query_values(query, "X-Amz-Credential").pop()?;
    let mut parts = credential.splitn(4, '/');
    let access_key = parts.next()?.to_string();
    let region = parts.nth(1)?.to_string();
    Some(Scope {
        access_key: Cow::Owned(access_key),
        region: Cow::Owned(region),
    })
}

/// The region of the credential scope, when it looks like a region a case ARN can name.
fn signing_region(scope: &Scope<'_>) -> Option<String> {
    let region: &str = &scope.region;
    let mut parts = 0;
    for part in region.split('-') {
        if part.is_empty() || !part.chars().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        parts += 1;
    }
    let ends_in_digits = region
        .rsplit('-')
        .next()
        .is_some_and(|last| last.chars().all(|c| c.is_ascii_digit()));
    (parts >= 3 && ends_in_digits).then(|| region.to_string())
}

/// Who signed: each access key id is a user of the account, so edits and comments name a
/// stable principal per key, and a test can act as a console user beside sirops.
fn principal(account: &str, scope: &Scope<'_>) -> String {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
    let key: &str = &scope.access_key;
    let cleaned: Cow<'_, str> = if key.chars().all(allowed) {
        Cow::Borrowed(key)
    } else {
        Cow::Owned(key.chars().filter(|c| allowed(*c)).collect())
    };
    let user = if cleaned.is_empty() {
        "anonymous"
    } else {
        &cleaned
    };
    let mut principal = String::with_capacity(20 + account.len() + user.len());
    for part in ["arn:aws:iam::", account, ":user/", user] {
        principal.push_str(part);
    }
    principal
}

/// Any SigV4 signature is accepted, but an unsigned request is refused, as the service does.
fn is_signed(headers: &HeaderMap, query: Option<&str>) -> bool {
    let signed_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("AWS4-"));
    signed_header || query.is_some_and(|query| query.contains("X-Amz-Signature="))
}

pub(crate) fn now_epoch_seconds() -> f64 {
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
        Some(Fault::Throttle) => Some(ServiceError::Throttling {
            message: "Rate exceeded".to_string(),
            retry_after_seconds: RETRY_AFTER_SECONDS,
            quota_code: None,
        }),
        Some(Fault::InternalError) => Some(ServiceError::InternalServer {
            message: "The service could not process the request; try again".to_string(),
            retry_after_seconds: Some(RETRY_AFTER_SECONDS),
        }),
        Some(Fault::DropBefore) => return drop_connection(killer).await,
        Some(Fault::LoseResponse) | None => None,
    };
    let result = match injected {
        Some(error) => Err(error),
        None => match axum::body::to_bytes(body, BODY_LIMIT).await {
            Err(_) => Err(ServiceError::cannot_parse(
                "The request body could not be read",
            )),
            Ok(body) => answer(&shared, route, &parts, body).await,
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
            with_request_id(error.into_response())
        }
    }
}

/// The checks every AWS request goes through, in the service's order: signature, operation,
/// membership, quota; then the operation.
async fn answer(
    shared: &Shared,
    route: Option<Route>,
    parts: &axum::http::request::Parts,
    body: Bytes,
) -> Result<Reply, ServiceError> {
    let query = parts.uri.query();
    if !is_signed(&parts.headers, query) {
        return Err(ServiceError::AccessDenied {
            message: "The request is not signed with AWS Signature Version 4".to_string(),
        });
    }
    let Some(route) = route else {
        return Err(ServiceError::unknown_operation(format!(
            "No operation of the Security IR API matches {} {}",
            parts.method,
            parts.uri.path()
        )));
    };
    if let Route::NotEmulated(operation) = route {
        return Err(ServiceError::unknown_operation(format!(
            "{operation} is not emulated: the sirops emulator serves the case operations and reads memberships"
        )));
    }
    let scope = credential_scope(&parts.headers, query).unwrap_or_default();
    let context = CallContext {
        partition: Partition {
            region: signing_region(&scope).unwrap_or_else(|| DEFAULT_REGION.to_string()),
            account: shared.account.clone(),
        },
        principal: principal(&shared.account, &scope),
        now: now_epoch_seconds(),
    };
    if shared.not_active && route.is_case_operation() {
        return Err(ServiceError::NotActive {
            message: format!(
                "Security Incident Response is not active for account {} in {}",
                context.partition.account, context.partition.region
            ),
        });
    }
    admit(shared, &context, route.operation())?;
    let call = Call {
        shared,
        context: &context,
        query,
        body: &body,
    };
    execute(call, route).await
}

/// The rate limit of the operation in the caller's partition.
fn admit(shared: &Shared, context: &CallContext, operation: &str) -> Result<(), ServiceError> {
    let Err(over) = shared
        .limiter
        .admit(|| context.partition.arn_prefix(), operation)
    else {
        return Ok(());
    };
    shared.stats.record_throttled(operation);
    let seconds = over.retry_after.as_secs_f64().ceil().max(1.0);
    Err(ServiceError::Throttling {
        message: format!("Rate exceeded for {operation}"),
        retry_after_seconds: seconds as u32,
        quota_code: Some(quota_code(operation)),
    })
}

/// A request past its checks: what its operation is given.
struct Call<'a> {
    shared: &'a Shared,
    context: &'a CallContext,
    query: Option<&'a str>,
    body: &'a [u8],
}

impl Call<'_> {
    fn input<T: for<'de> Deserialize<'de> + Default>(&self) -> Result<T, ServiceError> {
        parse_body(self.body)
    }

    /// A change, made through the writer queue.
    async fn change(
        &self,
        operation: impl FnOnce(&mut StoredState) -> Result<Reply, ServiceError>,
    ) -> Result<Reply, ServiceError> {
        self.shared.change(operation).await
    }
}

/// Runs the operation: a read under the read lock, a change through the writer queue.
async fn execute(call: Call<'_>, route: Route) -> Result<Reply, ServiceError> {
    let Call {
        shared, context, ..
    } = call;
    let active = !shared.not_active;
    match route {
        Route::CreateCase => create_case(&call).await,
        Route::GetCase(case_id) => cases::get_case(&shared.read(), context, &case_id),
        Route::ListCases => cases::list_cases(&shared.read(), context, &call.input()?),
        Route::UpdateCase(case_id) => update_case(&call, &case_id).await,
        Route::UpdateCaseStatus(case_id) => {
            change_with_input(&call, &case_id, cases::update_case_status).await
        }
        Route::CloseCase(case_id) => close_case(&call, &case_id).await,
        Route::UpdateResolverType(case_id) => {
            change_with_input(&call, &case_id, cases::update_resolver_type).await
        }
        Route::TagResource(arn) => change_with_input(&call, &arn, tags::tag_resource).await,
        Route::UntagResource(arn) => untag_resource(&call, &arn).await,
        Route::ListTagsForResource(arn) => {
            tags::list_tags_for_resource(&shared.read(), context, &arn)
        }
        Route::CreateCaseComment(case_id) => create_case_comment(&call, &case_id).await,
        Route::UpdateCaseComment(case_id, comment_id) => {
            update_case_comment(&call, &case_id, &comment_id).await
        }
        Route::ListComments(case_id) => {
            comments::list_comments(&shared.read(), context, &case_id, &call.input()?)
        }
        Route::ListCaseEdits(case_id) => {
            cases::list_case_edits(&shared.read(), context, &case_id, &call.input()?)
        }
        Route::GetCaseAttachmentUploadUrl(case_id) => get_upload_url(&call, &case_id).await,
        Route::GetCaseAttachmentDownloadUrl(case_id, attachment_id) => {
            get_download_url(&call, &case_id, &attachment_id)
        }
        Route::GetMembership(membership_id) => {
            memberships::get_membership(context, active, &membership_id)
        }
        Route::ListMemberships => memberships::list_memberships(context, active, &call.input()?),
        Route::NotEmulated(operation) => Err(ServiceError::unknown_operation(format!(
            "{operation} is not emulated"
        ))),
    }
}

async fn create_case(call: &Call<'_>) -> Result<Reply, ServiceError> {
    let input = call.input()?;
    cases::validate_create_case(&input)?;
    let digest = ops::request_digest(call.body);
    call.change(|state| cases::create_case(state, call.context, input, digest))
        .await
}

/// A change whose input is the whole body, to the case or resource `id` names.
async fn change_with_input<T: for<'de> Deserialize<'de> + Default>(
    call: &Call<'_>,
    id: &str,
    operation: fn(&mut StoredState, &CallContext, &str, T) -> Result<Reply, ServiceError>,
) -> Result<Reply, ServiceError> {
    let input = call.input()?;
    call.change(|state| operation(state, call.context, id, input))
        .await
}

async fn update_case(call: &Call<'_>, case_id: &str) -> Result<Reply, ServiceError> {
    let input = call.input()?;
    cases::validate_update_case(case_id, &input)?;
    call.change(|state| cases::update_case(state, call.context, case_id, input))
        .await
}

async fn close_case(call: &Call<'_>, case_id: &str) -> Result<Reply, ServiceError> {
    call.change(|state| cases::close_case(state, call.context, case_id))
        .await
}

async fn untag_resource(call: &Call<'_>, arn: &str) -> Result<Reply, ServiceError> {
    let tag_keys = query_values(call.query, "tagKeys");
    call.change(|state| tags::untag_resource(state, call.context, arn, tag_keys))
        .await
}

async fn create_case_comment(call: &Call<'_>, case_id: &str) -> Result<Reply, ServiceError> {
    let input = call.input()?;
    let digest = ops::request_digest(call.body);
    call.change(|state| comments::create_case_comment(state, call.context, case_id, input, digest))
        .await
}

async fn update_case_comment(
    call: &Call<'_>,
    case_id: &str,
    comment_id: &str,
) -> Result<Reply, ServiceError> {
    let input = call.input()?;
    call.change(|state| {
        comments::update_case_comment(state, call.context, case_id, comment_id, input)
    })
    .await
}

async fn get_upload_url(call: &Call<'_>, case_id: &str) -> Result<Reply, ServiceError> {
    let input = call.input()?;
    let digest = ops::request_digest(call.body);
    let presign = |transfer| call.shared.files.presign(transfer);
    call.change(|state| {
        attachments::get_upload_url(state, call.context, case_id, input, digest, presign)
    })
    .await
}

fn get_download_url(
    call: &Call<'_>,
    case_id: &str,
    attachment_id: &str,
) -> Result<Reply, ServiceError> {
    let presign = |transfer| call.shared.files.presign(transfer);
    let state = call.shared.read();
    attachments::get_download_url(&state, call.context, case_id, attachment_id, presign)
}

fn reply_response(reply: Reply) -> Response {
    with_request_id(match reply.body {
        None => reply.status.into_response(),
        Some(body) => {
            let mut response = (reply.status, body).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
    })
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
    fn every_operation_of_the_model_is_found_by_its_method_and_path() {
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
            (
                Method::PUT,
                "/v1/cases/1000000001/update-case-comment/000001".into(),
                "UpdateCaseComment",
            ),
            (
                Method::POST,
                "/v1/cases/1000000001/get-presigned-url".into(),
                "GetCaseAttachmentUploadUrl",
            ),
            (
                Method::GET,
                "/v1/cases/1000000001/get-presigned-url/00000000-0000-4000-8000-000000000000"
                    .into(),
                "GetCaseAttachmentDownloadUrl",
            ),
            (
                Method::GET,
                "/v1/membership/m-0123456789".into(),
                "GetMembership",
            ),
            (Method::POST, "/v1/memberships".into(), "ListMemberships"),
            (Method::POST, "/v1/membership".into(), "CreateMembership"),
            (
                Method::PUT,
                "/v1/membership/m-0123456789".into(),
                "CancelMembership",
            ),
            (
                Method::PUT,
                "/v1/membership/m-0123456789/update-membership".into(),
                "UpdateMembership",
            ),
            (
                Method::POST,
                "/v1/membership/m-0123456789/batch-member-details".into(),
                "BatchGetMemberAccountDetails",
            ),
            (
                Method::GET,
                "/v1/membership/m-0123456789/finding-metrics".into(),
                "GetFindingMetrics",
            ),
            (
                Method::GET,
                "/v1/cases/1000000001/list-investigations".into(),
                "ListInvestigations",
            ),
            (
                Method::POST,
                "/v1/cases/1000000001/feedback/r-1/send-feedback".into(),
                "SendFeedback",
            ),
        ];
        assert_eq!(cases.len(), 25, "every operation of the model");
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
    fn repeated_query_parameters_the_signing_region_and_the_signer_are_read() {
        assert_eq!(
            query_values(Some("tagKeys=a&tagKeys=b%3Ac&other=x"), "tagKeys"),
            ["a", "b:c"]
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKIDCONSOLE/20260101/eu-west-1/security-ir/aws4_request, SignedHeaders=host, Signature=00",
            ),
        );
        let scope = credential_scope(&headers, None).unwrap();
        assert_eq!(signing_region(&scope).as_deref(), Some("eu-west-1"));
        assert_eq!(
            principal("123456789012", &scope),
            "arn:aws:iam::123456789012:user/AKIDCONSOLE"
        );
        let odd = Scope {
            region: Cow::Borrowed("eu-west"),
            ..Scope::default()
        };
        assert_eq!(signing_region(&odd), None);
        assert!(is_signed(&headers, None));
        assert!(!is_signed(&HeaderMap::new(), Some("a=b")));
        let no_headers = HeaderMap::new();
        let presigned = credential_scope(
            &no_headers,
            Some("X-Amz-Credential=KEY%2F20260101%2Fus-west-2%2Fsecurity-ir%2Faws4_request"),
        )
        .unwrap();
        assert_eq!(signing_region(&presigned).as_deref(), Some("us-west-2"));
    }

    #[test]
    fn principals_match_the_models_principal_pattern() {
        let pattern = regex::Regex::new(
            r"^.*((^AWS Responder)|(^\d{12}$)|(^arn:([^:]*aws[^:]*):(?:(?:iam)::\d{12}:(?:user|role|group|root)(?:(?:/[^/]+)+)?|(?:sts)::\d{12}:assumed-role/[^/]+/[^/]+)$)|(^security-ir.amazonaws.com)).*$",
        )
        .unwrap();
        for key in ["AKIA0123", "we/ird key", ""] {
            let scope = Scope {
                access_key: Cow::Borrowed(key),
                ..Scope::default()
            };
            let principal = principal("123456789012", &scope);
            assert!(pattern.is_match(&principal), "{principal}");
        }
        assert!(pattern.is_match(crate::emulator::store::AWS_RESPONDER));
    }
}
