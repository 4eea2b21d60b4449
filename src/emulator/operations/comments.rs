//! Comments on a case: CreateCaseComment, ListComments, UpdateCaseComment.

use axum::http::StatusCode;
use serde_json::json;

use super::cases::quota_exceeded;
use super::{CallContext, Reply, open_case_mut, replayed};
use crate::emulator::service_error::ServiceError;
use crate::emulator::store::{Comment, IdempotencyRecord, State, StoredCase};
use crate::emulator::validation::RequestChecker;
use crate::emulator::wire::{CreateCaseCommentInput, PageInput, UpdateCaseCommentInput};

/// Comment ids are six digits, so a case holds at most this many.
const COMMENTS_MAX: usize = 999_999;

/// Adds a comment as `principal`; shared with what AWS responders write.
pub(crate) fn add_comment(
    case: &mut StoredCase,
    now: f64,
    principal: &str,
    body: String,
) -> Result<String, ServiceError> {
    if case.comments.len() >= COMMENTS_MAX {
        return Err(quota_exceeded(
            &case.case_id,
            "comments",
            case.comments.len() + 1,
            COMMENTS_MAX,
        ));
    }
    let comment_id = format!("{:06}", case.comments.len() + 1);
    case.comments.push(Comment {
        comment_id: comment_id.clone(),
        created_date: now,
        last_updated_date: now,
        creator: principal.to_string(),
        last_updated_by: principal.to_string(),
        body,
    });
    case.record_edit(
        now,
        principal,
        "CommentAdded",
        format!("Comment {comment_id} added"),
    );
    Ok(comment_id)
}

pub(crate) fn create_case_comment(
    state: &mut State,
    context: &CallContext,
    case_id: &str,
    input: CreateCaseCommentInput,
    digest: String,
) -> Result<Reply, ServiceError> {
    let mut checker = RequestChecker::new();
    checker.case_id(case_id);
    checker.optional_text("clientToken", &input.client_token, 1, 255);
    if let Some(body) = checker.required("body", &input.body) {
        checker.length("body", body, 1, 12000);
    }
    checker.finish()?;
    // A closed case takes no comments: like every other write, a ConflictException.
    let case = open_case_mut(state, context, case_id)?;
    if let Some(token) = &input.client_token {
        let record = case.comment_tokens.get(token);
        if let Some(comment_id) = replayed(record, token, &digest, "CreateCaseComment", case_id)? {
            return Ok(Reply::json(
                StatusCode::CREATED,
                &json!({"commentId": comment_id}),
            ));
        }
    }
    let comment_id = add_comment(
        case,
        context.now,
        &context.principal,
        input.body.unwrap_or_default(),
    )?;
    if let Some(token) = input.client_token {
        case.comment_tokens.insert(
            token,
            IdempotencyRecord {
                request_digest: digest,
                created_id: comment_id.clone(),
            },
        );
    }
    Ok(Reply::json(StatusCode::CREATED, &json!({"commentId": comment_id})).changed(true))
}

pub(crate) fn list_comments(
    state: &State,
    context: &CallContext,
    case_id: &str,
    input: &PageInput,
) -> Result<Reply, ServiceError> {
    super::list_of_case(state, context, case_id, input, |case| &case.comments)
}

/// UpdateCaseComment: only on an open case, and only by whoever wrote the comment (the
/// strictest reading; the API does not say whether others may).
pub(crate) fn update_case_comment(
    state: &mut State,
    context: &CallContext,
    case_id: &str,
    comment_id: &str,
    input: UpdateCaseCommentInput,
) -> Result<Reply, ServiceError> {
    let mut checker = RequestChecker::new();
    checker.case_id(case_id);
    checker.comment_id(comment_id);
    if let Some(body) = checker.required("body", &input.body) {
        checker.length("body", body, 1, 12000);
    }
    checker.finish()?;
    let case = open_case_mut(state, context, case_id)?;
    let Some(comment) = case
        .comments
        .iter_mut()
        .find(|comment| comment.comment_id == comment_id)
    else {
        return Err(ServiceError::ResourceNotFound {
            message: format!("Comment {comment_id} of case {case_id} does not exist"),
        });
    };
    if comment.creator != context.principal {
        return Err(ServiceError::AccessDenied {
            message: format!(
                "Comment {comment_id} was written by {}; only its author may change it",
                comment.creator
            ),
        });
    }
    let body = input.body.unwrap_or_default();
    let changed = comment.body != body;
    if changed {
        comment.body.clone_from(&body);
        comment.last_updated_date = context.now;
        comment.last_updated_by.clone_from(&context.principal);
        case.record_edit(
            context.now,
            &context.principal,
            "CommentUpdated",
            format!("Comment {comment_id} updated"),
        );
    }
    Ok(Reply::json(
        StatusCode::OK,
        &json!({"commentId": comment_id, "body": body}),
    )
    .changed(changed))
}
