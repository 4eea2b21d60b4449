//! The executor: performs a `Plan`'s requests and nothing else. Cases run concurrently; the
//! requests of one case run in the plan's order and stop at the first failure, so a case is
//! never left further along than its last successful step, and a re-run plans the rest.

use std::time::Duration;

use tokio::time::Instant;

use crate::live::pacing::count_throttled_retries;
use crate::live::{ApiError, ApiErrorKind, CaseApi, map_concurrently};
use crate::model::{CaseStatus, SpecField};
use crate::plan::{CasePlan, Plan};
use crate::request::Request;

pub mod report;

/// What happened to one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseOutcome {
    pub name: String,
    /// The case's id after apply (new for a create that succeeded).
    pub case_id: Option<String>,
    /// True when this run created the case.
    pub created: bool,
    /// One per planned request, in the plan's order: the text summary and the apply report
    /// both read them, so they cannot disagree.
    pub requests: Vec<RequestRecord>,
    /// From the case's first request to its last (the audit comment included).
    pub duration: Duration,
    /// What went wrong without failing the case (an audit comment that could not be posted).
    pub warnings: Vec<String>,
}

/// What became of one planned request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub operation: &'static str,
    pub result: RequestResult,
    /// When work on it began (its case ARN looked up if needed, then sent); `None` when it
    /// was not sent.
    pub started: Option<Instant>,
    pub duration: Duration,
    /// How many times the service throttled it and the pacer sent it again.
    pub throttled_retries: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestResult {
    Success,
    /// Refused, and then found already made: a status move an earlier attempt whose answer
    /// was lost had taken (see `refused_steps_taken`).
    AlreadyDone,
    Failed(ApiError),
    /// Not sent: an earlier request of the case failed, and the later ones depend on it.
    NotSent,
}

impl RequestRecord {
    fn not_sent(request: &Request) -> RequestRecord {
        RequestRecord {
            operation: request.operation(),
            result: RequestResult::NotSent,
            started: None,
            duration: Duration::ZERO,
            throttled_retries: 0,
        }
    }
}

impl CaseOutcome {
    /// The error that stopped the case, if one did.
    pub fn failure(&self) -> Option<&ApiError> {
        self.requests
            .iter()
            .find_map(|record| match &record.result {
                RequestResult::Failed(error) => Some(error),
                _ => None,
            })
    }

    /// The requests done by the end of the run, in order, by operation.
    pub fn completed(&self) -> Vec<&'static str> {
        self.requests
            .iter()
            .filter(|record| {
                matches!(
                    record.result,
                    RequestResult::Success | RequestResult::AlreadyDone
                )
            })
            .map(|record| record.operation)
            .collect()
    }
}

#[derive(Debug, Clone, Default)]
pub struct ApplyOptions {
    pub parallelism: usize,
    /// When set, each changed case gets a comment saying what sirops changed and why.
    pub audit: Option<AuditContext>,
}

/// Where a change came from, for the audit comment a responder sees in the console.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditContext {
    pub commit: Option<String>,
    pub author: Option<String>,
}

/// The audit comment for one applied case: the fields and status it changed, and the commit.
pub fn audit_comment(case: &CasePlan, context: &AuditContext) -> String {
    let mut body = format!("sirops applied manifest \"{}\".\n", case.name);
    let mut fields: Vec<&str> = case
        .changes
        .iter()
        .map(|change| change.field)
        .filter(|field| field.definition().audited_as_change)
        .map(SpecField::name)
        .collect();
    fields.dedup();
    if !fields.is_empty() {
        body.push_str(&format!("Changed: {}.\n", fields.join(", ")));
    }
    if !case.status_path.is_empty() {
        let path: Vec<&str> = case
            .status_path
            .iter()
            .map(|status| status.as_str())
            .collect();
        body.push_str(&format!("Status: {}.\n", path.join(" -> ")));
    }
    match (&context.commit, &context.author) {
        (Some(commit), Some(author)) => body.push_str(&format!("Commit {commit} by {author}.\n")),
        (Some(commit), None) => body.push_str(&format!("Commit {commit}.\n")),
        (None, Some(author)) => body.push_str(&format!("Applied by {author}.\n")),
        (None, None) => {}
    }
    body
}

/// Applies every case of the plan that has requests. Failed cases do not stop the others.
/// Outcomes come back in plan order, whatever order cases finish in.
pub async fn apply<A: CaseApi>(
    api: &A,
    plan: &Plan,
    options: &ApplyOptions,
    on_case_done: &(dyn Fn(&CaseOutcome) + Send + Sync),
) -> Vec<CaseOutcome> {
    let parallelism = options.parallelism.max(1);
    let cases = plan.cases.iter().filter(|case| !case.requests.is_empty());
    map_concurrently(cases, parallelism, |case| async move {
        let comment = options
            .audit
            .as_ref()
            .map(|context| audit_comment(case, context));
        let outcome = apply_case(api, case, comment.as_deref()).await;
        on_case_done(&outcome);
        outcome
    })
    .await
}

async fn apply_case<A: CaseApi>(api: &A, case: &CasePlan, comment: Option<&str>) -> CaseOutcome {
    let case_started = Instant::now();
    let mut outcome = CaseOutcome {
        name: case.name.clone(),
        case_id: case.case_id.clone(),
        created: false,
        requests: Vec::with_capacity(case.requests.len()),
        duration: Duration::ZERO,
        warnings: Vec::new(),
    };
    let mut case_arn: Option<String> = None;
    // A closed case refuses comments, so the audit comment goes in before the case starts to
    // move: before the first status step or close, else after the last request.
    let comment_before = case
        .requests
        .iter()
        .position(|request| status_target(request).is_some())
        .unwrap_or(case.requests.len());
    let mut comment = comment;
    let mut next = 0;
    loop {
        if next >= comment_before
            && let Some(body) = comment.take()
        {
            post_comment(api, &mut outcome, body).await;
        }
        let Some(planned) = case.requests.get(next) else {
            break;
        };
        let started = Instant::now();
        let (result, steps, throttled_retries) =
            send_planned(api, case, next, &mut outcome, &mut case_arn).await;
        outcome.requests.push(RequestRecord {
            operation: planned.operation(),
            result,
            started: Some(started),
            duration: started.elapsed(),
            throttled_retries,
        });
        // The later status moves a refusal found already made were never sent themselves.
        for later in case.requests.iter().take(next + steps).skip(next + 1) {
            outcome.requests.push(RequestRecord {
                result: RequestResult::AlreadyDone,
                ..RequestRecord::not_sent(later)
            });
        }
        if steps == 0 {
            let rest = case.requests.iter().skip(next + 1);
            outcome.requests.extend(rest.map(RequestRecord::not_sent));
            break;
        }
        next += steps;
    }
    outcome.duration = case_started.elapsed();
    outcome
}

/// Sends the case's request at `next`. Returns what became of it, how many planned requests
/// that settles (1; 0 after a failure; more when a refused status move turns out already made
/// together with later ones), and how many times the service throttled it.
async fn send_planned<A: CaseApi>(
    api: &A,
    case: &CasePlan,
    next: usize,
    outcome: &mut CaseOutcome,
    case_arn: &mut Option<String>,
) -> (RequestResult, usize, u32) {
    let request = match with_identity(api, &case.requests[next], &outcome.case_id, case_arn).await {
        Ok(request) => request,
        Err(error) => return (RequestResult::Failed(error), 0, 0),
    };
    let (sent, throttled_retries) = count_throttled_retries(api.send(&request)).await;
    match sent {
        Ok(result) => {
            if let Some(case_id) = result.created_case_id {
                outcome.case_id = Some(case_id);
                outcome.created = true;
            }
            (RequestResult::Success, 1, throttled_retries)
        }
        Err(error) => {
            let remaining = &case.requests[next..];
            match refused_steps_taken(api, case, remaining, &outcome.case_id, error).await {
                Ok(steps) => (RequestResult::AlreadyDone, steps, throttled_retries),
                Err(failure) => (RequestResult::Failed(failure), 0, throttled_retries),
            }
        }
    }
}

/// After `refusal`, how many of the `remaining` status steps turn out to be done already
/// (at least one), or the failure that stands.
async fn refused_steps_taken<A: CaseApi>(
    api: &A,
    case: &CasePlan,
    remaining: &[Request],
    case_id: &Option<String>,
    refusal: ApiError,
) -> Result<usize, ApiError> {
    match status_steps_already_taken(api, remaining, case_id, &refusal).await {
        Ok(0) => Err(refusal),
        Ok(taken) => {
            tracing::info!(
                case = %case.name,
                steps = taken,
                "a refused status move had already been made; counted as done"
            );
            Ok(taken)
        }
        Err(unreadable) => Err(ApiError {
            message: format!(
                "{}; reading the case to see whether an earlier attempt had made the move failed too: {unreadable}",
                refusal.message
            ),
            ..refusal
        }),
    }
}

/// The audit comment is for people; a case whose comment cannot be posted is still applied.
async fn post_comment<A: CaseApi>(api: &A, outcome: &mut CaseOutcome, body: &str) {
    let Some(case_id) = &outcome.case_id else {
        return;
    };
    if let Err(error) = api.create_comment(case_id, body).await {
        outcome
            .warnings
            .push(format!("the audit comment was not posted: {error}"));
    }
}

/// A status move refused because the case is not where the plan left it is most often the
/// SDK's retry of a move whose first response was lost after it took effect; a concurrent run
/// moving the case first looks the same. One GetCase tells them from a real refusal: when the
/// case already stands at the target of this step or of a later step of the same path, those
/// steps are done. Returns how many (0: the refusal stands), or the read's error when the
/// case could not be read to tell.
async fn status_steps_already_taken<A: CaseApi>(
    api: &A,
    remaining: &[Request],
    case_id: &Option<String>,
    refusal: &ApiError,
) -> Result<usize, ApiError> {
    let refused_as_out_of_place = matches!(
        refusal.kind,
        ApiErrorKind::Validation | ApiErrorKind::Conflict
    );
    let Some(case_id) = case_id else { return Ok(0) };
    if !refused_as_out_of_place || remaining.first().and_then(status_target).is_none() {
        return Ok(0);
    }
    let live = api.get_case(case_id).await?;
    Ok(live.map_or(0, |live| steps_reached(remaining, live.status)))
}

/// How many leading status moves of `remaining` are done when the case stands at `live`: all
/// up to the one that moves it there, none when no move of that run leads there.
fn steps_reached(remaining: &[Request], live: CaseStatus) -> usize {
    remaining
        .iter()
        .map_while(status_target)
        .position(|target| target == live)
        .map_or(0, |index| index + 1)
}

fn status_target(request: &Request) -> Option<CaseStatus> {
    match request {
        Request::UpdateCaseStatus(input) => Some(input.case_status),
        Request::CloseCase(_) => Some(CaseStatus::Closed),
        _ => None,
    }
}

/// Fills in the case id (known after CreateCase) and, for tag calls, the case ARN.
async fn with_identity<A: CaseApi>(
    api: &A,
    request: &Request,
    case_id: &Option<String>,
    case_arn: &mut Option<String>,
) -> Result<Request, ApiError> {
    let operation = request.operation();
    let mut request = request.clone();
    let fill = |slot: &mut Option<String>| {
        if slot.is_none() {
            slot.clone_from(case_id);
        }
    };
    match &mut request {
        Request::CreateCase(_) => {}
        Request::UpdateResolverType(input) => fill(&mut input.case_id),
        Request::UpdateCase(input) => fill(&mut input.case_id),
        Request::UpdateCaseStatus(input) => fill(&mut input.case_id),
        Request::CloseCase(input) => fill(&mut input.case_id),
        Request::TagResource(input) if input.resource_arn.is_none() => {
            input.resource_arn = Some(resolve_arn(api, operation, case_id, case_arn).await?);
        }
        Request::UntagResource(input) if input.resource_arn.is_none() => {
            input.resource_arn = Some(resolve_arn(api, operation, case_id, case_arn).await?);
        }
        Request::TagResource(_) | Request::UntagResource(_) => {}
    }
    Ok(request)
}

/// A tag call planned before its case existed learns the ARN from one GetCase.
async fn resolve_arn<A: CaseApi>(
    api: &A,
    operation: &'static str,
    case_id: &Option<String>,
    case_arn: &mut Option<String>,
) -> Result<String, ApiError> {
    if let Some(arn) = case_arn {
        return Ok(arn.clone());
    }
    let unknown = || ApiError {
        operation,
        kind: crate::live::ApiErrorKind::Client,
        message: "the case's ARN is not known (its CreateCase did not succeed)".into(),
    };
    let case_id = case_id.as_deref().ok_or_else(unknown)?;
    let case = api.get_case(case_id).await?.ok_or_else(unknown)?;
    *case_arn = Some(case.case_arn.clone());
    Ok(case.case_arn)
}

#[cfg(test)]
mod tests;
