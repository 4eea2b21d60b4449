//! The service's rules, one function per operation, as plain functions of the state: validation
//! of the whole request first, path and body alike (no lock needed), then the change. Each
//! returns a `Reply` that says whether anything changed (only then is the state written to
//! disk) and how many list items were redundant (added while present, deleted while absent).
//!
//! Every operation opens alike, with its signature and a `RequestChecker` over its members: the
//! likeness is the convention, while the members checked are each operation's own.
//!
//! Files by resource: `cases` (the case itself, its status and edits), `tags`, `comments`,
//! `attachments`, `memberships`, and `responder` (what AWS's own responders do to a case).

pub(crate) mod attachments;
pub(crate) mod cases;
pub(crate) mod comments;
pub(crate) mod memberships;
pub(crate) mod responder;
pub(crate) mod tags;

use axum::http::StatusCode;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::emulator::service_error::ServiceError;
use crate::emulator::store::{IdempotencyRecord, Partition, State, StoredCase};

/// What the operation answers, and what it did.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    /// JSON body; `None` for an empty body (TagResource's 204).
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) changed: bool,
    pub(crate) redundant: u64,
}

impl Reply {
    pub(crate) fn json(status: StatusCode, body: &impl Serialize) -> Self {
        Reply {
            status,
            body: Some(serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec())),
            changed: false,
            redundant: 0,
        }
    }

    pub(crate) fn empty(status: StatusCode) -> Self {
        Reply {
            status,
            body: None,
            changed: false,
            redundant: 0,
        }
    }

    pub(crate) fn changed(mut self, changed: bool) -> Self {
        self.changed = changed;
        self
    }

    pub(crate) fn redundant(mut self, redundant: u64) -> Self {
        self.redundant = redundant;
        self
    }
}

/// Facts about the call that are not in its body.
#[derive(Debug, Clone)]
pub(crate) struct CallContext {
    /// The account and the region of the SigV4 credential scope: the only cases the call sees.
    pub(crate) partition: Partition,
    /// Who signed the call, as edits and comments name them (a stable ARN per access key).
    pub(crate) principal: String,
    /// Epoch seconds, millisecond precision.
    pub(crate) now: f64,
}

pub(crate) fn case<'a>(
    state: &'a State,
    context: &CallContext,
    case_id: &str,
) -> Result<&'a StoredCase, ServiceError> {
    state
        .case(&context.partition, case_id)
        .ok_or_else(|| ServiceError::case_not_found(case_id))
}

// `case` again for a mutable borrow: one function cannot lend both.
pub(crate) fn case_mut<'a>(
    state: &'a mut State,
    context: &CallContext,
    case_id: &str,
) -> Result<&'a mut StoredCase, ServiceError> {
    state
        .case_mut(&context.partition, case_id)
        .ok_or_else(|| ServiceError::case_not_found(case_id))
}

/// A case that accepts changes: Closed is final, the service refuses every write to it.
pub(crate) fn open_case_mut<'a>(
    state: &'a mut State,
    context: &CallContext,
    case_id: &str,
) -> Result<&'a mut StoredCase, ServiceError> {
    let case = case_mut(state, context, case_id)?;
    if case.is_closed() {
        return Err(ServiceError::case_closed(case_id));
    }
    Ok(case)
}

/// An enum member the validator already checked against its values.
pub(crate) fn parse_enum<T: std::str::FromStr>(
    field: &str,
    value: &str,
) -> Result<T, ServiceError> {
    value
        .parse()
        .map_err(|_| ServiceError::invalid_field(field, format!("{value:?} is not a valid value")))
}

/// The digest that tells a retried request from a different one reusing its `clientToken`.
pub(crate) fn request_digest(body: &[u8]) -> String {
    let canonical = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(mut members)) => {
            members.remove("clientToken");
            serde_json::to_vec(&members).unwrap_or_default()
        }
        _ => body.to_vec(),
    };
    hex::encode(Sha256::digest(&canonical))
}

/// What an earlier request with the same client token made, when there was one: `Ok(Some)`
/// for a retry of the same request, a ConflictException for another request under the token.
pub(crate) fn replayed(
    record: Option<&IdempotencyRecord>,
    token: &str,
    digest: &str,
    operation: &str,
    resource_id: &str,
) -> Result<Option<String>, ServiceError> {
    let Some(record) = record else {
        return Ok(None);
    };
    if record.request_digest != digest {
        return Err(ServiceError::Conflict {
            message: format!(
                "clientToken {token:?} was already used with a different {operation} request"
            ),
            resource_id: resource_id.to_string(),
        });
    }
    Ok(Some(record.created_id.clone()))
}

/// A page of one of a case's own lists (its comments, its edits), which only grow at the end,
/// so an offset token stays valid between pages.
pub(crate) fn list_of_case<T: Serialize + Clone>(
    state: &State,
    context: &CallContext,
    case_id: &str,
    input: &crate::emulator::wire::PageInput,
    list: impl Fn(&StoredCase) -> &[T],
) -> Result<Reply, ServiceError> {
    let mut checker = crate::emulator::validation::RequestChecker::new();
    checker.case_id(case_id);
    let max_results = checker.page(&input.next_token, input.max_results);
    checker.finish()?;
    let items = list(case(state, context, case_id)?);
    let (page, next_token) = crate::emulator::pagination::page_by_offset(
        items,
        input.next_token.as_deref(),
        max_results,
    )?;
    Ok(Reply::json(
        StatusCode::OK,
        &ListPage {
            next_token,
            items: page,
            total: items.len(),
        },
    ))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListPage<T> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
    pub(crate) items: Vec<T>,
    pub(crate) total: usize,
}
