//! The live side in memory, for unit tests of discovery and the executor. Writes take effect as
//! the service makes them: CreateCase makes a Submitted case carrying its tags, UpdateCase
//! changes fields, a status moves one legal step per call, a closed case refuses every write.
//! Every call is logged with the case it addressed, in the order the service took them, and any
//! call can be made to fail: refused before it takes effect, or taking effect with its response
//! lost.
//!
//! Each change is recorded in the case's edit history as the service records it, under
//! [`SIROPS_PRINCIPAL`]; a test adds the edits of other people with [`MemoryApi::add_edit`].
//! The clock is logical: every call and every added edit is one second after the one before,
//! from [`CLOCK_START_MILLIS`], so edit times are the same on every run.
//!
//! CreateCase deliberately ignores the client token: a second create for the same manifest
//! makes a second case here, so a test sees a duplicate instead of the service hiding it.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::{ApiError, ApiErrorKind, CaseApi, CaseSummary, RequestOutcome};
use crate::model::{CaseEdit, CaseStatus, LiveCase, ResolverType, Timestamp};
use crate::request::{CreateCaseInput, Request, UpdateCaseInput};

/// Who the calls of [`MemoryApi`] are made as, in the edit history.
pub(crate) const SIROPS_PRINCIPAL: &str = "arn:aws:iam::123456789012:user/sirops";

/// The time of the first call in milliseconds since the epoch: 2026-11-20T08:00:00Z.
pub(crate) const CLOCK_START_MILLIS: i64 = 1_795_161_600_000;

/// One call as the service received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Call {
    pub(crate) operation: &'static str,
    /// The case the call addressed (for CreateCase, the case it made), when it named one.
    pub(crate) case_id: Option<String>,
}

/// A call made to fail. Counting is per operation, or per operation and case with
/// [`Fault::on_case`]; each fault fires once.
#[derive(Debug, Clone)]
pub(crate) struct Fault {
    operation: &'static str,
    case_id: Option<String>,
    nth: usize,
    kind: ApiErrorKind,
    takes_effect: bool,
}

impl Fault {
    /// The first call of `operation` is refused with `kind` and changes nothing.
    pub(crate) fn refuse(operation: &'static str, kind: ApiErrorKind) -> Fault {
        Fault {
            operation,
            case_id: None,
            nth: 1,
            kind,
            takes_effect: false,
        }
    }

    /// The first call of `operation` takes effect, then its caller gets `kind` instead of the
    /// response, as when the connection drops after the service acted.
    pub(crate) fn lose_response(operation: &'static str, kind: ApiErrorKind) -> Fault {
        Fault {
            takes_effect: true,
            ..Fault::refuse(operation, kind)
        }
    }

    /// The `nth` call (from 1) instead of the first.
    pub(crate) fn call(self, nth: usize) -> Fault {
        Fault { nth, ..self }
    }

    /// Counts only the calls that address this case. CreateCase names no case before it
    /// makes one, so a fault on it counts over all creates.
    pub(crate) fn on_case(self, case_id: &str) -> Fault {
        Fault {
            case_id: Some(case_id.to_string()),
            ..self
        }
    }

    fn error(&self) -> ApiError {
        ApiError {
            operation: self.operation,
            kind: self.kind.clone(),
            message: "injected by the test".into(),
        }
    }
}

#[derive(Default)]
struct State {
    cases: BTreeMap<String, LiveCase>,
    statuses: BTreeMap<String, Vec<CaseStatus>>,
    edits: BTreeMap<String, Vec<CaseEdit>>,
    /// `pendingAction` of the cases an AWS responder set one on; the others list `None`.
    pending_actions: BTreeMap<String, String>,
    /// Seconds after [`CLOCK_START_MILLIS`] of the latest call or added edit.
    ticks: i64,
    calls: Vec<Call>,
    tag_reads: Vec<String>,
    faults: Vec<Fault>,
    counts: BTreeMap<(&'static str, Option<String>), usize>,
    created: usize,
}

#[derive(Default)]
pub(crate) struct MemoryApi {
    /// CreateCaseComment answers ConflictException on every case, as for a closed one.
    pub(crate) refuse_comments: bool,
    state: Mutex<State>,
}

impl MemoryApi {
    /// A case the service already holds, with its tags.
    pub(crate) fn add_case(&self, case: LiveCase) {
        let mut state = self.state();
        state
            .statuses
            .insert(case.case_id.clone(), vec![case.status]);
        state.cases.insert(case.case_id.clone(), case);
    }

    /// An edit made by someone other than sirops (a console user, an AWS responder), one
    /// second after the latest call. The case itself is left as it is: the test changes it
    /// apart, or leaves the edit unexplained on purpose.
    pub(crate) fn add_edit(&self, case_id: &str, principal: &str, action: &str) {
        let mut state = self.state();
        assert!(state.cases.contains_key(case_id), "no case {case_id}");
        state.tick();
        state.record(
            case_id,
            principal,
            action,
            format!("{action} by {principal}"),
        );
    }

    /// An AWS responder sets the case's pending action (`Customer`: waiting on the customer),
    /// one second after the latest call, recorded in the edit history as the service does.
    pub(crate) fn set_pending_action(&self, case_id: &str, pending_action: &str) {
        let mut state = self.state();
        assert!(state.cases.contains_key(case_id), "no case {case_id}");
        state.tick();
        state
            .pending_actions
            .insert(case_id.to_string(), pending_action.to_string());
        state.record(
            case_id,
            "AWS Responder",
            "PendingActionUpdated",
            format!("Pending action set to {pending_action}"),
        );
    }

    /// The case's edit history so far, oldest first, without a call.
    pub(crate) fn edits(&self, case_id: &str) -> Vec<CaseEdit> {
        self.state().edits.get(case_id).cloned().unwrap_or_default()
    }

    /// Makes a future call fail; see [`Fault`].
    pub(crate) fn inject(&self, fault: Fault) {
        self.state().faults.push(fault);
    }

    /// The case as it stands now, with its tags.
    pub(crate) fn case(&self, case_id: &str) -> Option<LiveCase> {
        self.state().cases.get(case_id).cloned()
    }

    /// Every case the service holds, by id.
    pub(crate) fn cases(&self) -> Vec<LiveCase> {
        self.state().cases.values().cloned().collect()
    }

    /// The statuses the case has stood at, from the first known to the current one.
    pub(crate) fn statuses(&self, case_id: &str) -> Vec<CaseStatus> {
        self.state()
            .statuses
            .get(case_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Every call so far, by operation, in order.
    pub(crate) fn calls(&self) -> Vec<&'static str> {
        self.state()
            .calls
            .iter()
            .map(|call| call.operation)
            .collect()
    }

    /// Every call so far with the case it addressed, in order.
    pub(crate) fn call_log(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    /// The calls that addressed this case, by operation, in order.
    pub(crate) fn calls_for(&self, case_id: &str) -> Vec<&'static str> {
        self.state()
            .calls
            .iter()
            .filter(|call| call.case_id.as_deref() == Some(case_id))
            .map(|call| call.operation)
            .collect()
    }

    /// The ARNs tags were read for, in order.
    pub(crate) fn tag_reads(&self) -> Vec<String> {
        self.state().tag_reads.clone()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// One call: logged, then refused by a fault or made. The yield first lets concurrent
    /// callers interleave as they would over a network; the lock then makes each call atomic.
    async fn call<T>(
        &self,
        operation: &'static str,
        case_id: Option<String>,
        effect: impl FnOnce(&mut State) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        tokio::task::yield_now().await;
        let mut state = self.state();
        state.tick();
        let fault = state.take_fault(operation, case_id.as_deref());
        state.calls.push(Call { operation, case_id });
        match fault {
            None => effect(&mut state),
            Some(fault) => {
                if fault.takes_effect {
                    let _ = effect(&mut state);
                }
                Err(fault.error())
            }
        }
    }
}

impl State {
    fn tick(&mut self) {
        self.ticks += 1;
    }

    fn now(&self) -> Timestamp {
        Timestamp::from_epoch_millis(CLOCK_START_MILLIS + self.ticks * 1000)
    }

    fn record(&mut self, case_id: &str, principal: &str, action: &str, message: String) {
        let edit = CaseEdit {
            time: self.now(),
            principal: principal.to_string(),
            action: action.to_string(),
            message,
            by_sirops: false,
        };
        self.edits
            .entry(case_id.to_string())
            .or_default()
            .push(edit);
    }

    /// An edit sirops's own call made.
    fn record_own(&mut self, case_id: &str, action: &str, message: String) {
        self.record(case_id, SIROPS_PRINCIPAL, action, message);
    }

    fn take_fault(&mut self, operation: &'static str, case_id: Option<&str>) -> Option<Fault> {
        let mut count = |key: Option<&str>| {
            let count = self
                .counts
                .entry((operation, key.map(str::to_string)))
                .or_default();
            *count += 1;
            *count
        };
        let overall = count(None);
        let on_case = case_id.map(|case_id| count(Some(case_id)));
        let index = self.faults.iter().position(|fault| {
            fault.operation == operation
                && match &fault.case_id {
                    None => fault.nth == overall,
                    Some(id) => case_id == Some(id.as_str()) && on_case == Some(fault.nth),
                }
        })?;
        Some(self.faults.remove(index))
    }

    fn case_id_of_arn(&self, case_arn: &str) -> Option<String> {
        self.cases
            .values()
            .find(|case| case.case_arn == case_arn)
            .map(|case| case.case_id.clone())
    }

    fn open_case(
        &mut self,
        operation: &'static str,
        case_id: Option<&str>,
    ) -> Result<&mut LiveCase, ApiError> {
        let case_id =
            case_id.ok_or_else(|| refusal(operation, ApiErrorKind::Validation, "no caseId"))?;
        let case = self.cases.get_mut(case_id).ok_or_else(|| {
            refusal(
                operation,
                ApiErrorKind::NotFound,
                &format!("no case {case_id}"),
            )
        })?;
        if case.status.is_closed() {
            return Err(refusal(
                operation,
                ApiErrorKind::Conflict,
                &format!("case {case_id} is closed"),
            ));
        }
        Ok(case)
    }

    fn open_case_by_arn(
        &mut self,
        operation: &'static str,
        case_arn: Option<&str>,
    ) -> Result<&mut LiveCase, ApiError> {
        let case_arn = case_arn
            .ok_or_else(|| refusal(operation, ApiErrorKind::Validation, "no resourceArn"))?;
        let case_id = self.case_id_of_arn(case_arn).ok_or_else(|| {
            refusal(
                operation,
                ApiErrorKind::NotFound,
                &format!("no resource {case_arn}"),
            )
        })?;
        self.open_case(operation, Some(&case_id))
    }

    /// The case CreateCase makes. The property tests' model of the service builds the same
    /// case on its own: the two doubles live in different crates and neither may shape the other.
    fn create(&mut self, input: &CreateCaseInput) -> RequestOutcome {
        self.created += 1;
        let case_id = format!("{}", 9_000_000_000_u64 + self.created as u64);
        let case = LiveCase {
            case_id: case_id.clone(),
            case_arn: format!("arn:aws:security-ir:us-east-1:123456789012:case/{case_id}"),
            title: input.title.clone(),
            description: input.description.clone(),
            status: CaseStatus::Submitted,
            engagement_type: input.engagement_type,
            resolver_type: input.resolver_type,
            reported_incident_start_date: Some(input.reported_incident_start_date),
            actual_incident_start_date: None,
            watchers: input.watchers.clone(),
            threat_actor_ip_addresses: input.threat_actor_ip_addresses.clone(),
            impacted_services: input.impacted_services.clone(),
            impacted_aws_regions: input
                .impacted_aws_regions
                .iter()
                .map(|region| region.region.clone())
                .collect(),
            impacted_accounts: input.impacted_accounts.clone(),
            case_metadata: Vec::new(),
            tags: Some(input.tags.clone()),
        };
        self.statuses
            .insert(case_id.clone(), vec![CaseStatus::Submitted]);
        self.cases.insert(case_id.clone(), case);
        self.record_own(
            &case_id,
            "CaseCreated",
            format!("Case created with resolver type {}", input.resolver_type),
        );
        if let Some(call) = self.calls.last_mut() {
            call.case_id = Some(case_id.clone());
        }
        RequestOutcome {
            created_case_id: Some(case_id),
        }
    }

    fn apply(&mut self, request: &Request) -> Result<RequestOutcome, ApiError> {
        let operation = request.operation();
        let (case_id, edits) = match request {
            Request::CreateCase(input) => return Ok(self.create(input)),
            Request::UpdateCase(input) => {
                let case = self.open_case(operation, input.case_id.as_deref())?;
                let before = case.clone();
                update_fields(case, input);
                let edits = updated_fields(&before, case);
                (before.case_id, edits)
            }
            Request::UpdateCaseStatus(input) => {
                let case = self.open_case(operation, input.case_id.as_deref())?;
                let (from, to) = (case.status, input.case_status);
                if case.resolver_type == ResolverType::Aws
                    || !crate::emulator::is_legal_status_move(from, to)
                {
                    return Err(refusal(
                        operation,
                        ApiErrorKind::Validation,
                        &format!("cannot move from {from} to {to}"),
                    ));
                }
                let case_id = case.case_id.clone();
                self.move_case(&case_id, to);
                let message = format!("Status changed from {from} to {to}");
                (case_id, vec![("StatusUpdated", message)])
            }
            Request::CloseCase(input) => {
                let case = self.open_case(operation, input.case_id.as_deref())?;
                let (case_id, from) = (case.case_id.clone(), case.status);
                self.move_case(&case_id, CaseStatus::Closed);
                // A closed case waits on no one.
                self.pending_actions.remove(&case_id);
                let message = format!("Case closed from status {from}");
                (case_id, vec![("CaseClosed", message)])
            }
            Request::UpdateResolverType(input) => {
                let case = self.open_case(operation, input.case_id.as_deref())?;
                let (from, to) = (case.resolver_type, input.resolver_type);
                if from == ResolverType::Aws && to == ResolverType::SelfManaged {
                    return Err(refusal(
                        operation,
                        ApiErrorKind::Validation,
                        "the resolver type cannot go back from AWS to Self",
                    ));
                }
                case.resolver_type = to;
                let message = || format!("Resolver type changed from {from} to {to}");
                let edits = edit_if(from != to, "ResolverTypeUpdated", message);
                (case.case_id.clone(), edits)
            }
            Request::TagResource(input) => {
                let case = self.open_case_by_arn(operation, input.resource_arn.as_deref())?;
                let tags = case.tags.get_or_insert_with(BTreeMap::new);
                let before = tags.clone();
                tags.extend(input.tags.clone());
                let message = || "Case tags added or changed".to_string();
                let edits = edit_if(*tags != before, "TagsUpdated", message);
                (case.case_id.clone(), edits)
            }
            Request::UntagResource(input) => {
                let case = self.open_case_by_arn(operation, input.resource_arn.as_deref())?;
                let tags = case.tags.get_or_insert_with(BTreeMap::new);
                let mut removed = false;
                for key in &input.tag_keys {
                    removed |= tags.remove(key).is_some();
                }
                let message = || "Case tags removed".to_string();
                (
                    case.case_id.clone(),
                    edit_if(removed, "TagsRemoved", message),
                )
            }
        };
        for (action, message) in edits {
            self.record_own(&case_id, action, message);
        }
        Ok(RequestOutcome::default())
    }

    fn move_case(&mut self, case_id: &str, to: CaseStatus) {
        if let Some(case) = self.cases.get_mut(case_id) {
            case.status = to;
        }
        self.statuses
            .entry(case_id.to_string())
            .or_default()
            .push(to);
    }
}

/// One edit when `changed`, none otherwise: the service records only what a call changed.
fn edit_if(
    changed: bool,
    action: &'static str,
    message: impl FnOnce() -> String,
) -> Vec<(&'static str, String)> {
    changed.then(|| (action, message())).into_iter().collect()
}

/// The edits an UpdateCase records, one per field it changed, in the emulator's order.
fn updated_fields(before: &LiveCase, after: &LiveCase) -> Vec<(&'static str, String)> {
    let fields = [
        (
            before.title != after.title,
            "TitleUpdated",
            "Case title updated",
        ),
        (
            before.description != after.description,
            "DescriptionUpdated",
            "Case description updated",
        ),
        (
            before.engagement_type != after.engagement_type,
            "EngagementTypeUpdated",
            "Engagement type updated",
        ),
        (
            before.reported_incident_start_date != after.reported_incident_start_date,
            "ReportedIncidentStartDateUpdated",
            "Reported incident start date updated",
        ),
        (
            before.actual_incident_start_date != after.actual_incident_start_date,
            "ActualIncidentStartDateUpdated",
            "Actual incident start date updated",
        ),
        (
            before.watchers != after.watchers,
            "WatchersUpdated",
            "Case watchers updated",
        ),
        (
            before.threat_actor_ip_addresses != after.threat_actor_ip_addresses,
            "ThreatActorIpAddressesUpdated",
            "Threat actor IP addresses updated",
        ),
        (
            before.impacted_services != after.impacted_services,
            "ImpactedServicesUpdated",
            "Impacted services updated",
        ),
        (
            before.impacted_aws_regions != after.impacted_aws_regions,
            "ImpactedAwsRegionsUpdated",
            "Impacted AWS regions updated",
        ),
        (
            before.impacted_accounts != after.impacted_accounts,
            "ImpactedAccountsUpdated",
            "Impacted accounts updated",
        ),
        (
            before.case_metadata != after.case_metadata,
            "CaseMetadataUpdated",
            "Case metadata replaced",
        ),
    ];
    fields
        .into_iter()
        .filter(|(changed, ..)| *changed)
        .map(|(_, action, message)| (action, message.to_string()))
        .collect()
}

fn update_fields(case: &mut LiveCase, input: &UpdateCaseInput) {
    fn set<T: Clone>(field: &mut T, value: &Option<T>) {
        if let Some(value) = value {
            *field = value.clone();
        }
    }
    fn add_then_delete<T: Clone, K: PartialEq>(
        list: &mut Vec<T>,
        add: &[T],
        delete: &[T],
        identity: impl Fn(&T) -> K,
    ) {
        for item in add {
            if !list
                .iter()
                .any(|present| identity(present) == identity(item))
            {
                list.push(item.clone());
            }
        }
        list.retain(|present| {
            !delete
                .iter()
                .any(|item| identity(item) == identity(present))
        });
    }
    set(&mut case.title, &input.title);
    set(&mut case.description, &input.description);
    set(&mut case.engagement_type, &input.engagement_type);
    if input.reported_incident_start_date.is_some() {
        case.reported_incident_start_date = input.reported_incident_start_date;
    }
    if input.actual_incident_start_date.is_some() {
        case.actual_incident_start_date = input.actual_incident_start_date;
    }
    add_then_delete(
        &mut case.watchers,
        &input.watchers_to_add,
        &input.watchers_to_delete,
        super::super::model::Watcher::identity,
    );
    add_then_delete(
        &mut case.threat_actor_ip_addresses,
        &input.threat_actor_ip_addresses_to_add,
        &input.threat_actor_ip_addresses_to_delete,
        Clone::clone,
    );
    add_then_delete(
        &mut case.impacted_services,
        &input.impacted_services_to_add,
        &input.impacted_services_to_delete,
        Clone::clone,
    );
    let regions = |list: &[crate::request::ImpactedAwsRegion]| -> Vec<String> {
        list.iter().map(|region| region.region.clone()).collect()
    };
    add_then_delete(
        &mut case.impacted_aws_regions,
        &regions(&input.impacted_aws_regions_to_add),
        &regions(&input.impacted_aws_regions_to_delete),
        Clone::clone,
    );
    add_then_delete(
        &mut case.impacted_accounts,
        &input.impacted_accounts_to_add,
        &input.impacted_accounts_to_delete,
        Clone::clone,
    );
    if let Some(entries) = &input.case_metadata {
        case.case_metadata.clone_from(entries);
    }
}

fn refusal(operation: &'static str, kind: ApiErrorKind, message: &str) -> ApiError {
    ApiError {
        operation,
        kind,
        message: message.to_string(),
    }
}

/// The case a request addresses, as it names it.
fn addressed_case(state: &State, request: &Request) -> Option<String> {
    match request {
        Request::CreateCase(_) => None,
        Request::UpdateCase(input) => input.case_id.clone(),
        Request::UpdateCaseStatus(input) => input.case_id.clone(),
        Request::CloseCase(input) => input.case_id.clone(),
        Request::UpdateResolverType(input) => input.case_id.clone(),
        Request::TagResource(input) => input
            .resource_arn
            .as_deref()
            .and_then(|arn| state.case_id_of_arn(arn)),
        Request::UntagResource(input) => input
            .resource_arn
            .as_deref()
            .and_then(|arn| state.case_id_of_arn(arn)),
    }
}

impl CaseApi for MemoryApi {
    async fn get_case(&self, case_id: &str) -> Result<Option<LiveCase>, ApiError> {
        self.call("GetCase", Some(case_id.to_string()), |state| {
            Ok(state.cases.get(case_id).map(|case| LiveCase {
                tags: None,
                ..case.clone()
            }))
        })
        .await
    }

    async fn list_tags(&self, case_arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
        let case_id = self.state().case_id_of_arn(case_arn);
        self.call("ListTagsForResource", case_id, |state| {
            state.tag_reads.push(case_arn.to_string());
            state
                .cases
                .values()
                .find(|case| case.case_arn == case_arn)
                .and_then(|case| case.tags.clone())
                .ok_or_else(|| {
                    refusal(
                        "ListTagsForResource",
                        ApiErrorKind::NotFound,
                        &format!("no resource {case_arn}"),
                    )
                })
        })
        .await
    }

    async fn list_cases(&self) -> Result<Vec<CaseSummary>, ApiError> {
        self.call("ListCases", None, |state| {
            Ok(state
                .cases
                .values()
                .map(|case| CaseSummary {
                    case_id: case.case_id.clone(),
                    case_arn: case.case_arn.clone(),
                    status: Some(case.status),
                    pending_action: Some(
                        state
                            .pending_actions
                            .get(&case.case_id)
                            .map_or("None", String::as_str)
                            .to_string(),
                    ),
                    // Every change is an edit, so the latest edit is the last update; a case
                    // added without a history lists none, as an item without the date would.
                    last_updated: state
                        .edits
                        .get(&case.case_id)
                        .and_then(|edits| edits.last())
                        .map(|edit| edit.time),
                })
                .collect())
        })
        .await
    }

    async fn list_case_edits(&self, case_id: &str) -> Result<Vec<CaseEdit>, ApiError> {
        self.call("ListCaseEdits", Some(case_id.to_string()), |state| {
            if !state.cases.contains_key(case_id) {
                return Err(refusal(
                    "ListCaseEdits",
                    ApiErrorKind::NotFound,
                    &format!("no case {case_id}"),
                ));
            }
            Ok(state.edits.get(case_id).cloned().unwrap_or_default())
        })
        .await
    }

    async fn send(&self, request: &Request) -> Result<RequestOutcome, ApiError> {
        let case_id = addressed_case(&self.state(), request);
        self.call(request.operation(), case_id, |state| state.apply(request))
            .await
    }

    async fn create_comment(&self, case_id: &str, _body: &str) -> Result<(), ApiError> {
        let refuse_comments = self.refuse_comments;
        self.call("CreateCaseComment", Some(case_id.to_string()), |state| {
            state.open_case("CreateCaseComment", Some(case_id))?;
            if refuse_comments {
                return Err(refusal(
                    "CreateCaseComment",
                    ApiErrorKind::Conflict,
                    "the case is closed",
                ));
            }
            state.record_own(case_id, "CommentAdded", "Comment added".into());
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Watcher;
    use crate::plan::fixtures::{create_request, live_case};
    use crate::request::{
        CloseCaseInput, TagResourceInput, UntagResourceInput, UpdateCaseStatusInput,
        UpdateResolverTypeInput,
    };

    fn history(edits: &[CaseEdit]) -> Vec<(&str, &str)> {
        edits
            .iter()
            .map(|edit| (edit.principal.as_str(), edit.action.as_str()))
            .collect()
    }

    #[tokio::test]
    async fn each_change_is_an_edit_of_sirops_and_a_call_that_changes_nothing_is_none() {
        let api = MemoryApi::default();
        let created = api.send(&create_request("payroll")).await.unwrap();
        let case_id = created.created_case_id.unwrap();
        let case = api.case(&case_id).unwrap();
        let arn = Some(case.case_arn.clone());
        let id = Some(case_id.clone());
        let requests = [
            Request::UpdateCase(UpdateCaseInput {
                case_id: id.clone(),
                title: Some("Payroll phishing".into()),
                description: Some(case.description.clone()),
                watchers_to_add: vec![Watcher {
                    email: "dan@example.com".into(),
                    name: None,
                    job_title: None,
                }],
                ..UpdateCaseInput::default()
            }),
            Request::UpdateCase(UpdateCaseInput {
                case_id: id.clone(),
                title: Some("Payroll phishing".into()),
                ..UpdateCaseInput::default()
            }),
            Request::UpdateResolverType(UpdateResolverTypeInput {
                case_id: id.clone(),
                resolver_type: ResolverType::SelfManaged,
            }),
            Request::TagResource(TagResourceInput {
                resource_arn: arn.clone(),
                tags: BTreeMap::from([("team".into(), "payroll".into())]),
            }),
            Request::UntagResource(UntagResourceInput {
                resource_arn: arn.clone(),
                tag_keys: vec!["team".into(), "absent".into()],
            }),
            Request::UntagResource(UntagResourceInput {
                resource_arn: arn,
                tag_keys: vec!["absent".into()],
            }),
            Request::UpdateCaseStatus(UpdateCaseStatusInput {
                case_id: id.clone(),
                case_status: CaseStatus::DetectionAndAnalysis,
            }),
        ];
        for request in &requests {
            api.send(request).await.unwrap();
        }
        api.create_comment(&case_id, "Applied by sirops")
            .await
            .unwrap();
        api.send(&Request::CloseCase(CloseCaseInput { case_id: id }))
            .await
            .unwrap();
        let edits = api.list_case_edits(&case_id).await.unwrap();
        let sirops = SIROPS_PRINCIPAL;
        assert_eq!(
            history(&edits),
            [
                (sirops, "CaseCreated"),
                (sirops, "TitleUpdated"),
                (sirops, "WatchersUpdated"),
                (sirops, "TagsUpdated"),
                (sirops, "TagsRemoved"),
                (sirops, "StatusUpdated"),
                (sirops, "CommentAdded"),
                (sirops, "CaseClosed"),
            ]
        );
        assert!(edits.windows(2).all(|pair| pair[0].time <= pair[1].time));
        assert_eq!(edits, api.edits(&case_id));
        assert_eq!(api.calls_for(&case_id).last(), Some(&"ListCaseEdits"));
    }

    #[tokio::test]
    async fn an_edit_by_someone_else_comes_after_the_calls_before_it() {
        let api = MemoryApi::default();
        api.add_case(live_case("1234567890", "payroll", CaseStatus::Submitted));
        api.get_case("1234567890").await.unwrap();
        api.add_edit(
            "1234567890",
            "arn:aws:iam::123456789012:user/console",
            "TitleUpdated",
        );
        let edits = api.list_case_edits("1234567890").await.unwrap();
        assert_eq!(
            history(&edits),
            [("arn:aws:iam::123456789012:user/console", "TitleUpdated")]
        );
        assert_eq!(
            edits[0].time,
            Timestamp::from_epoch_millis(CLOCK_START_MILLIS + 2000),
            "one second after the GetCase, which was one second after the start"
        );
    }

    #[tokio::test]
    async fn the_listing_says_whose_turn_it_is_and_when_the_case_last_changed() {
        let api = MemoryApi::default();
        api.add_case(live_case("1234567890", "payroll", CaseStatus::Submitted));
        let created = api.send(&create_request("phishing")).await.unwrap();
        let case_id = created.created_case_id.unwrap();
        api.set_pending_action(&case_id, "Customer");
        let listed = api.list_cases().await.unwrap();
        let row = |id: &str| listed.iter().find(|case| case.case_id == id).unwrap();
        assert_eq!(row("1234567890").pending_action.as_deref(), Some("None"));
        assert_eq!(row("1234567890").last_updated, None, "no history, no date");
        assert_eq!(row(&case_id).pending_action.as_deref(), Some("Customer"));
        assert_eq!(
            row(&case_id).last_updated,
            api.edits(&case_id).last().map(|edit| edit.time)
        );

        api.send(&Request::CloseCase(CloseCaseInput {
            case_id: Some(case_id.clone()),
        }))
        .await
        .unwrap();
        let listed = api.list_cases().await.unwrap();
        let closed = listed.iter().find(|case| case.case_id == case_id).unwrap();
        assert_eq!(closed.pending_action.as_deref(), Some("None"));
    }

    #[tokio::test]
    async fn the_history_of_a_case_that_does_not_exist_is_not_found() {
        let api = MemoryApi::default();
        let error = api.list_case_edits("1234567890").await.unwrap_err();
        assert_eq!(
            (error.operation, error.kind),
            ("ListCaseEdits", ApiErrorKind::NotFound)
        );
    }
}
