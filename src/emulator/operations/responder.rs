//! AWS as another actor: what AWS's own responders do to an AWS-supported case, through
//! `POST /_emulator/act-as-aws` (a test or a person playing the responder) and, with
//! `--aws-responder-delay`, by themselves (acknowledging new cases). Every change shows in
//! GetCase, ListCases and ListCaseEdits as the principal "AWS Responder", exactly as a real
//! responder's work would.

use axum::http::StatusCode;
use serde::Deserialize;

use super::cases::{add_items, delete_items, to_watcher, watcher_identity};
use super::comments::add_comment;
use super::{Reply, parse_enum};
use crate::emulator::service_error::ServiceError;
use crate::emulator::store::{AWS_RESPONDER, State, StoredCase, StoredWatcher};
use crate::emulator::validation::RequestChecker;
use crate::emulator::wire::WatcherInput;
use crate::model::{CaseStatus, ResolverType};

/// `ClosureCode` of the model.
const CLOSURE_CODES: [&str; 4] = [
    "Investigation Completed",
    "Not Resolved",
    "False Positive",
    "Duplicate",
];

/// `PendingAction` of the model: whose turn it is.
const PENDING_ACTIONS: [&str; 2] = ["Customer", "None"];

/// The body of `POST /_emulator/act-as-aws`: every member but `caseId` is optional, and each
/// given one is a change the responder makes, in this order. Not a request of the model, so
/// kept apart from the structs of `wire`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ResponderAction {
    pub(crate) case_id: Option<String>,
    pub(crate) case_status: Option<String>,
    pub(crate) pending_action: Option<String>,
    pub(crate) closure_code: Option<String>,
    pub(crate) comment: Option<String>,
    pub(crate) watchers_to_add: Option<Vec<WatcherInput>>,
    pub(crate) watchers_to_delete: Option<Vec<WatcherInput>>,
}

/// Applies a responder's action to the case it names, in whatever account and region.
pub(crate) fn act_as_aws(
    state: &mut State,
    action: ResponderAction,
    now: f64,
) -> Result<Reply, ServiceError> {
    validate_action(&action)?;
    let case_id = action.case_id.clone().unwrap_or_default();
    let stored = state
        .cases
        .get_mut(&case_id)
        .ok_or_else(|| ServiceError::case_not_found(&case_id))?;
    if stored.details.resolver_type != ResolverType::Aws {
        return Err(ServiceError::rule(
            "caseId",
            format!(
                "Case {case_id} is self-managed; AWS responders act only on AWS-supported cases"
            ),
        ));
    }
    if stored.is_closed() {
        return Err(ServiceError::case_closed(&case_id));
    }
    // Worked on a copy, so an action refused halfway leaves the case as it was.
    let mut case = stored.clone();
    apply_action(&mut case, action, now)?;
    let reply = Reply::json(StatusCode::OK, &case.details).changed(true);
    *stored = case;
    Ok(reply)
}

fn validate_action(action: &ResponderAction) -> Result<(), ServiceError> {
    let mut checker = RequestChecker::new();
    if let Some(case_id) = checker.required("caseId", &action.case_id) {
        checker.case_id(case_id);
    }
    if let Some(status) = &action.case_status {
        let statuses: Vec<&str> = CaseStatus::ALL
            .iter()
            .map(|status| status.as_str())
            .collect();
        checker.one_of("caseStatus", status, &statuses);
    }
    if let Some(pending) = &action.pending_action {
        checker.one_of("pendingAction", pending, &PENDING_ACTIONS);
    }
    if let Some(code) = &action.closure_code {
        checker.one_of("closureCode", code, &CLOSURE_CODES);
    }
    checker.optional_text("comment", &action.comment, 1, 12000);
    checker.watchers("watchersToAdd", &action.watchers_to_add);
    checker.watchers("watchersToDelete", &action.watchers_to_delete);
    checker.finish()
}

/// The changes of a validated action, in the order `ResponderAction` lists them.
fn apply_action(
    case: &mut StoredCase,
    action: ResponderAction,
    now: f64,
) -> Result<(), ServiceError> {
    if let Some(code) = action.closure_code {
        case.details.closure_code = Some(code.clone());
        case.record_edit(
            now,
            AWS_RESPONDER,
            "ClosureCodeUpdated",
            format!("Closure code set to {code}"),
        );
    }
    if let Some(pending) = action.pending_action {
        case.details.pending_action.clone_from(&pending);
        case.record_edit(
            now,
            AWS_RESPONDER,
            "PendingActionUpdated",
            format!("Pending action set to {pending}"),
        );
    }
    update_watchers(
        case,
        &action.watchers_to_add,
        &action.watchers_to_delete,
        now,
    );
    if let Some(body) = action.comment {
        add_comment(case, now, AWS_RESPONDER, body)?;
    }
    if let Some(status) = action.case_status {
        let target: CaseStatus = parse_enum("caseStatus", &status)?;
        move_status(case, target, now);
    }
    Ok(())
}

/// Deletions first, then additions. Naming any watcher makes an edit, even when the list ends
/// as it was.
fn update_watchers(
    case: &mut StoredCase,
    added: &Option<Vec<WatcherInput>>,
    deleted: &Option<Vec<WatcherInput>>,
    now: f64,
) {
    let deleted: Vec<StoredWatcher> = deleted.iter().flatten().map(to_watcher).collect();
    let added: Vec<StoredWatcher> = added.iter().flatten().map(to_watcher).collect();
    if deleted.is_empty() && added.is_empty() {
        return;
    }
    let watchers = &mut case.details.watchers;
    delete_items(watchers, deleted, watcher_identity);
    add_items(watchers, added, watcher_identity);
    case.record_edit(
        now,
        AWS_RESPONDER,
        "WatchersUpdated",
        "Case watchers updated".into(),
    );
}

fn move_status(case: &mut StoredCase, target: CaseStatus, now: f64) {
    let previous = case.details.case_status;
    case.details.case_status = target;
    if target == CaseStatus::Closed {
        case.details.closed_date = Some(now);
        case.record_edit(
            now,
            AWS_RESPONDER,
            "CaseClosed",
            format!("Case closed from status {previous}"),
        );
    } else {
        case.record_edit(
            now,
            AWS_RESPONDER,
            "StatusUpdated",
            format!("Status changed from {previous} to {target}"),
        );
    }
}

/// With `--aws-responder-delay`, AWS acknowledges each AWS-supported case still Submitted once
/// it has been with AWS that long. Returns whether any case changed.
pub(crate) fn acknowledge_due(state: &mut State, delay_seconds: f64, now: f64) -> bool {
    let mut changed = false;
    for case in state.cases.values_mut() {
        let due = case.details.resolver_type == ResolverType::Aws
            && case.details.case_status == CaseStatus::Submitted
            && case
                .with_aws_since
                .is_some_and(|since| since + delay_seconds <= now);
        if due {
            move_status(case, CaseStatus::Acknowledged, now);
            changed = true;
        }
    }
    changed
}
