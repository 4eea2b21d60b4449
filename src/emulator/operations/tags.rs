//! Tags of a case, by its ARN: TagResource, UntagResource, ListTagsForResource.

use axum::http::StatusCode;
use serde_json::json;

use super::cases::quota_exceeded;
use super::{CallContext, Reply};
use crate::emulator::service_error::ServiceError;
use crate::emulator::store::{State, StoredCase};
use crate::emulator::validation::RequestChecker;
use crate::emulator::wire::TagResourceInput;

/// Most tags one case may carry.
const TAGS_MAX: usize = 200;

/// The case a resource ARN names, as the calling partition sees it. Only case ARNs this
/// emulator handed out exist; a membership ARN is valid but names nothing taggable here.
fn case_of_arn<'a>(
    state: &'a State,
    context: &CallContext,
    arn: &str,
) -> Result<&'a StoredCase, ServiceError> {
    let not_found = || ServiceError::ResourceNotFound {
        message: format!("Resource {arn} does not exist"),
    };
    let case_id = arn
        .rsplit_once(":case/")
        .map(|(_, id)| id)
        .ok_or_else(not_found)?;
    state
        .case(&context.partition, case_id)
        .filter(|case| case.details.case_arn == arn)
        .ok_or_else(not_found)
}

fn case_of_arn_mut<'a>(
    state: &'a mut State,
    context: &CallContext,
    arn: &str,
) -> Result<&'a mut StoredCase, ServiceError> {
    let case_id = case_of_arn(state, context, arn)?.case_id.clone();
    super::case_mut(state, context, &case_id)
}

pub(crate) fn tag_resource(
    state: &mut State,
    context: &CallContext,
    arn: &str,
    input: TagResourceInput,
) -> Result<Reply, ServiceError> {
    let mut checker = RequestChecker::new();
    checker.resource_arn(arn);
    checker.required("tags", &input.tags);
    checker.tags("tags", &input.tags);
    checker.finish()?;
    let case = case_of_arn_mut(state, context, arn)?;
    if case.is_closed() {
        return Err(ServiceError::case_closed(&case.case_id));
    }
    let mut tags = case.tags.clone();
    let mut redundant = 0;
    for (key, value) in input.tags.unwrap_or_default() {
        if tags.get(&key) == Some(&value) {
            redundant += 1;
        } else {
            tags.insert(key, value);
        }
    }
    if tags.len() > TAGS_MAX {
        return Err(quota_exceeded(&case.case_id, "tags", tags.len(), TAGS_MAX));
    }
    let changed = tags != case.tags;
    if changed {
        case.tags = tags;
        case.record_edit(
            context.now,
            &context.principal,
            "TagsUpdated",
            "Case tags added or changed".into(),
        );
    }
    Ok(Reply::empty(StatusCode::NO_CONTENT)
        .changed(changed)
        .redundant(redundant))
}

pub(crate) fn untag_resource(
    state: &mut State,
    context: &CallContext,
    arn: &str,
    tag_keys: Vec<String>,
) -> Result<Reply, ServiceError> {
    let mut checker = RequestChecker::new();
    checker.resource_arn(arn);
    if tag_keys.is_empty() {
        checker.problem("tagKeys", "is required");
    }
    for key in &tag_keys {
        checker.length("tagKeys", key, 1, 128);
    }
    checker.finish()?;
    let case = case_of_arn_mut(state, context, arn)?;
    if case.is_closed() {
        return Err(ServiceError::case_closed(&case.case_id));
    }
    let mut redundant = 0;
    let mut changed = false;
    for key in tag_keys {
        if case.tags.remove(&key).is_some() {
            changed = true;
        } else {
            redundant += 1;
        }
    }
    if changed {
        case.record_edit(
            context.now,
            &context.principal,
            "TagsRemoved",
            "Case tags removed".into(),
        );
    }
    Ok(Reply::json(StatusCode::OK, &json!({}))
        .changed(changed)
        .redundant(redundant))
}

pub(crate) fn list_tags_for_resource(
    state: &State,
    context: &CallContext,
    arn: &str,
) -> Result<Reply, ServiceError> {
    let mut checker = RequestChecker::new();
    checker.resource_arn(arn);
    checker.finish()?;
    let case = case_of_arn(state, context, arn)?;
    Ok(Reply::json(StatusCode::OK, &json!({"tags": case.tags})))
}
