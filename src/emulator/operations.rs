//! The service's rules, one function per operation, as plain functions of the state: validation
//! of the request first (no lock needed), then the change. Each returns a `Reply` that says
//! whether anything changed (only then is the state written to disk) and how many list items
//! were redundant (added while present, deleted while absent).

use std::collections::BTreeMap;
use std::ops::Bound;

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::emulator::api_error::ApiError;
use crate::emulator::pagination;
use crate::emulator::status_edges::is_legal_move;
use crate::emulator::store::{
    ACCOUNT_ID, CaseDetails, Comment, IdempotencyRecord, PRINCIPAL, State, StoredCase,
    StoredMetadataEntry, StoredRegion, StoredThreatActorIp, StoredWatcher,
};
use crate::emulator::validation::{
    self, Checker, ENGAGEMENT_TYPES, RESOLVER_TYPES, SELF_MANAGED_STATUSES,
};
use crate::emulator::wire::{
    CreateCaseCommentInput, CreateCaseInput, PageInput, RegionInput, TagResourceInput,
    ThreatActorIpInput, UpdateCaseInput, UpdateCaseStatusInput, UpdateResolverTypeInput,
    WatcherInput,
};
use crate::model::{CaseStatus, EngagementType, ResolverType};

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
    fn json(status: StatusCode, body: &impl Serialize) -> Self {
        Reply {
            status,
            body: Some(serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec())),
            changed: false,
            redundant: 0,
        }
    }

    fn changed(mut self, changed: bool) -> Self {
        self.changed = changed;
        self
    }

    fn redundant(mut self, redundant: u64) -> Self {
        self.redundant = redundant;
        self
    }
}

/// Facts about the call that are not in its body.
#[derive(Debug, Clone)]
pub(crate) struct CallContext {
    /// The region of the SigV4 credential scope (us-east-1 when absent); new case ARNs name it.
    pub(crate) region: String,
    /// Epoch seconds, millisecond precision.
    pub(crate) now: f64,
}

fn case_mut<'a>(state: &'a mut State, case_id: &str) -> Result<&'a mut StoredCase, ApiError> {
    state
        .cases
        .get_mut(case_id)
        .ok_or_else(|| ApiError::case_not_found(case_id))
}

fn open_case_mut<'a>(state: &'a mut State, case_id: &str) -> Result<&'a mut StoredCase, ApiError> {
    let case = case_mut(state, case_id)?;
    if case.is_closed() {
        return Err(ApiError::case_closed(case_id));
    }
    Ok(case)
}

fn parse_enum<T: std::str::FromStr>(field: &str, value: &str) -> Result<T, ApiError> {
    value
        .parse()
        .map_err(|_| ApiError::invalid_field(field, format!("{value:?} is not a valid value")))
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

fn to_watcher(input: &WatcherInput) -> StoredWatcher {
    StoredWatcher {
        email: input.email.clone().unwrap_or_default(),
        name: input.name.clone(),
        job_title: input.job_title.clone(),
    }
}

fn to_threat_actor_ip(input: &ThreatActorIpInput) -> StoredThreatActorIp {
    StoredThreatActorIp {
        ip_address: input.ip_address.clone().unwrap_or_default(),
        user_agent: input.user_agent.clone(),
    }
}

fn to_region(input: &RegionInput) -> StoredRegion {
    StoredRegion {
        region: input.region.clone().unwrap_or_default(),
    }
}

/// Adds `items` not yet present (by `identity`); returns how many were already there.
fn add_items<T, K: PartialEq>(list: &mut Vec<T>, items: Vec<T>, identity: impl Fn(&T) -> K) -> u64 {
    let mut redundant = 0;
    for item in items {
        if list
            .iter()
            .any(|present| identity(present) == identity(&item))
        {
            redundant += 1;
        } else {
            list.push(item);
        }
    }
    redundant
}

/// Removes `items` that are present (by `identity`); returns how many were absent.
fn delete_items<T, K: PartialEq>(
    list: &mut Vec<T>,
    items: Vec<T>,
    identity: impl Fn(&T) -> K,
) -> u64 {
    let mut redundant = 0;
    for item in items {
        let before = list.len();
        list.retain(|present| identity(present) != identity(&item));
        if list.len() == before {
            redundant += 1;
        }
    }
    redundant
}

fn watcher_identity(watcher: &StoredWatcher) -> String {
    watcher.email.to_lowercase()
}

fn ip_identity(ip: &StoredThreatActorIp) -> (String, Option<String>) {
    (ip.ip_address.clone(), ip.user_agent.clone())
}

fn quota_exceeded(case_id: &str, field: &str, count: usize, limit: usize) -> ApiError {
    ApiError::ServiceQuotaExceeded {
        message: format!("Case {case_id} would have {count} {field}; at most {limit} are allowed"),
        resource_id: case_id.to_string(),
        quota_code: "case-list-size",
    }
}

pub(crate) fn validate_create_case(input: &CreateCaseInput) -> Result<(), ApiError> {
    let mut checker = Checker::new();
    checker.optional_text("clientToken", &input.client_token, 1, 255);
    if let Some(resolver) = checker.required("resolverType", &input.resolver_type) {
        checker.one_of("resolverType", resolver, &RESOLVER_TYPES);
    }
    if let Some(title) = checker.required("title", &input.title) {
        checker.length("title", title, 1, 300);
    }
    if let Some(description) = checker.required("description", &input.description) {
        checker.length("description", description, 1, 8000);
    }
    if let Some(engagement) = checker.required("engagementType", &input.engagement_type) {
        checker.one_of("engagementType", engagement, &ENGAGEMENT_TYPES);
    }
    checker.required(
        "reportedIncidentStartDate",
        &input.reported_incident_start_date,
    );
    checker.timestamp(
        "reportedIncidentStartDate",
        input.reported_incident_start_date,
    );
    checker.required("impactedAccounts", &input.impacted_accounts);
    checker.accounts("impactedAccounts", &input.impacted_accounts);
    checker.required("watchers", &input.watchers);
    checker.watchers("watchers", &input.watchers);
    checker.threat_actor_ips("threatActorIpAddresses", &input.threat_actor_ip_addresses);
    checker.services("impactedServices", &input.impacted_services);
    checker.regions("impactedAwsRegions", &input.impacted_aws_regions);
    checker.tags("tags", &input.tags);
    checker.finish()
}

/// CreateCase, after `validate_create_case`. `digest` is `request_digest` of the body.
pub(crate) fn create_case(
    state: &mut State,
    context: &CallContext,
    input: CreateCaseInput,
    digest: String,
) -> Result<Reply, ApiError> {
    if let Some(token) = &input.client_token
        && let Some(record) = state.create_tokens.get(token)
    {
        if record.request_digest != digest {
            return Err(ApiError::Conflict {
                message: format!(
                    "clientToken {token:?} was already used with a different CreateCase request"
                ),
                resource_id: record.created_id.clone(),
            });
        }
        return Ok(Reply::json(
            StatusCode::CREATED,
            &json!({"caseId": record.created_id}),
        ));
    }
    let resolver_type: ResolverType = parse_enum(
        "resolverType",
        input.resolver_type.as_deref().unwrap_or_default(),
    )?;
    let engagement_type: EngagementType = parse_enum(
        "engagementType",
        input.engagement_type.as_deref().unwrap_or_default(),
    )?;

    let mut redundant = 0;
    let mut watchers = Vec::new();
    let new_watchers = input.watchers.iter().flatten().map(to_watcher).collect();
    redundant += add_items(&mut watchers, new_watchers, watcher_identity);
    let mut threat_actor_ips = Vec::new();
    let new_ips = input
        .threat_actor_ip_addresses
        .iter()
        .flatten()
        .map(to_threat_actor_ip)
        .collect();
    redundant += add_items(&mut threat_actor_ips, new_ips, ip_identity);
    let mut services = Vec::new();
    redundant += add_items(
        &mut services,
        input.impacted_services.unwrap_or_default(),
        String::clone,
    );
    let mut regions = Vec::new();
    let new_regions = input
        .impacted_aws_regions
        .iter()
        .flatten()
        .map(to_region)
        .collect();
    redundant += add_items(&mut regions, new_regions, StoredRegion::clone);
    let mut accounts = Vec::new();
    redundant += add_items(
        &mut accounts,
        input.impacted_accounts.unwrap_or_default(),
        String::clone,
    );

    let case_id = state.allocate_case_id();
    let mut case = StoredCase {
        case_id: case_id.clone(),
        details: CaseDetails {
            title: input.title.unwrap_or_default(),
            case_arn: format!(
                "arn:aws:security-ir:{}:{ACCOUNT_ID}:case/{case_id}",
                context.region
            ),
            description: input.description.unwrap_or_default(),
            case_status: CaseStatus::Submitted,
            engagement_type,
            reported_incident_start_date: input.reported_incident_start_date.unwrap_or_default(),
            actual_incident_start_date: None,
            impacted_aws_regions: regions,
            threat_actor_ip_addresses: threat_actor_ips,
            pending_action: "None".to_string(),
            impacted_accounts: accounts,
            watchers,
            created_date: context.now,
            last_updated_date: context.now,
            resolver_type,
            impacted_services: services,
            closed_date: None,
            case_metadata: Vec::new(),
        },
        tags: input.tags.unwrap_or_default(),
        comments: Vec::new(),
        comment_tokens: BTreeMap::new(),
        edits: Vec::new(),
    };
    case.record_edit(
        context.now,
        "CaseCreated",
        format!("Case created with resolver type {resolver_type}"),
    );
    state.cases.insert(case_id.clone(), case);
    if let Some(token) = input.client_token {
        state.create_tokens.insert(
            token,
            IdempotencyRecord {
                request_digest: digest,
                created_id: case_id.clone(),
            },
        );
    }
    Ok(
        Reply::json(StatusCode::CREATED, &json!({"caseId": case_id}))
            .changed(true)
            .redundant(redundant),
    )
}

pub(crate) fn get_case(state: &State, case_id: &str) -> Result<Reply, ApiError> {
    let case = state
        .cases
        .get(case_id)
        .ok_or_else(|| ApiError::case_not_found(case_id))?;
    Ok(Reply::json(StatusCode::OK, &case.details))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListCasesItem<'a> {
    case_id: &'a str,
    last_updated_date: f64,
    title: &'a str,
    case_arn: &'a str,
    engagement_type: EngagementType,
    case_status: CaseStatus,
    created_date: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    closed_date: Option<f64>,
    resolver_type: ResolverType,
    pending_action: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListPage<T> {
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
    items: Vec<T>,
    total: usize,
}

/// ListCases, newest case first.
pub(crate) fn list_cases(state: &State, input: &PageInput) -> Result<Reply, ApiError> {
    let max_results = validation::check_max_results(input.max_results)?;
    let older_than = match input.next_token.as_deref() {
        Some(token) if !token.is_empty() => Some(pagination::parse_case_token(token)?),
        _ => None,
    };
    let candidates: Box<dyn Iterator<Item = &StoredCase>> = match &older_than {
        Some(last) => Box::new(
            state
                .cases
                .range::<str, _>((Bound::Unbounded, Bound::Excluded(last.as_str())))
                .rev()
                .map(|(_, case)| case),
        ),
        None => Box::new(state.cases.values().rev()),
    };
    let mut items = Vec::with_capacity(max_results);
    let mut has_more = false;
    for case in candidates {
        if items.len() == max_results {
            has_more = true;
            break;
        }
        let details = &case.details;
        items.push(ListCasesItem {
            case_id: &case.case_id,
            last_updated_date: details.last_updated_date,
            title: &details.title,
            case_arn: &details.case_arn,
            engagement_type: details.engagement_type,
            case_status: details.case_status,
            created_date: details.created_date,
            closed_date: details.closed_date,
            resolver_type: details.resolver_type,
            pending_action: &details.pending_action,
        });
    }
    let next_token = match items.last() {
        Some(last) if has_more => Some(pagination::case_token(last.case_id)),
        _ => None,
    };
    Ok(Reply::json(
        StatusCode::OK,
        &ListPage {
            next_token,
            items,
            total: state.cases.len(),
        },
    ))
}

pub(crate) fn validate_update_case(input: &UpdateCaseInput) -> Result<(), ApiError> {
    let mut checker = Checker::new();
    checker.optional_text("title", &input.title, 1, 300);
    checker.optional_text("description", &input.description, 1, 8000);
    checker.timestamp(
        "reportedIncidentStartDate",
        input.reported_incident_start_date,
    );
    checker.timestamp("actualIncidentStartDate", input.actual_incident_start_date);
    if let Some(engagement) = &input.engagement_type {
        checker.one_of("engagementType", engagement, &ENGAGEMENT_TYPES);
    }
    checker.watchers("watchersToAdd", &input.watchers_to_add);
    checker.watchers("watchersToDelete", &input.watchers_to_delete);
    checker.threat_actor_ips(
        "threatActorIpAddressesToAdd",
        &input.threat_actor_ip_addresses_to_add,
    );
    checker.threat_actor_ips(
        "threatActorIpAddressesToDelete",
        &input.threat_actor_ip_addresses_to_delete,
    );
    checker.services("impactedServicesToAdd", &input.impacted_services_to_add);
    checker.services(
        "impactedServicesToDelete",
        &input.impacted_services_to_delete,
    );
    checker.regions(
        "impactedAwsRegionsToAdd",
        &input.impacted_aws_regions_to_add,
    );
    checker.regions(
        "impactedAwsRegionsToDelete",
        &input.impacted_aws_regions_to_delete,
    );
    checker.accounts("impactedAccountsToAdd", &input.impacted_accounts_to_add);
    checker.accounts(
        "impactedAccountsToDelete",
        &input.impacted_accounts_to_delete,
    );
    checker.case_metadata("caseMetadata", &input.case_metadata);
    checker.finish()
}

/// Applies one list's deletions, then its additions (the API leaves the order open; deleting
/// first lets one call replace an item), recording an edit when the list changed.
fn update_list<T: PartialEq + Clone, K: PartialEq>(
    list: &mut Vec<T>,
    to_delete: Vec<T>,
    to_add: Vec<T>,
    identity: impl Fn(&T) -> K + Copy,
) -> (bool, u64) {
    let before = list.clone();
    let redundant = delete_items(list, to_delete, identity) + add_items(list, to_add, identity);
    (*list != before, redundant)
}

/// UpdateCase, after `validate_update_case`. Checked whole before anything is changed, so a
/// refused update leaves the case as it was.
pub(crate) fn update_case(
    state: &mut State,
    context: &CallContext,
    case_id: &str,
    input: UpdateCaseInput,
) -> Result<Reply, ApiError> {
    let stored = open_case_mut(state, case_id)?;
    let mut case = stored.clone();
    let mut changes: Vec<(&str, String)> = Vec::new();
    let details = &mut case.details;

    if let Some(title) = input.title
        && title != details.title
    {
        details.title = title;
        changes.push(("TitleUpdated", "Case title updated".into()));
    }
    if let Some(description) = input.description
        && description != details.description
    {
        details.description = description;
        changes.push(("DescriptionUpdated", "Case description updated".into()));
    }
    if let Some(engagement) = input.engagement_type {
        let engagement: EngagementType = parse_enum("engagementType", &engagement)?;
        if engagement != details.engagement_type {
            details.engagement_type = engagement;
            changes.push((
                "EngagementTypeUpdated",
                format!("Engagement type set to {engagement}"),
            ));
        }
    }
    if let Some(date) = input.reported_incident_start_date
        && date != details.reported_incident_start_date
    {
        details.reported_incident_start_date = date;
        changes.push((
            "ReportedIncidentStartDateUpdated",
            format!("Reported incident start date set to {date}"),
        ));
    }
    if let Some(date) = input.actual_incident_start_date
        && Some(date) != details.actual_incident_start_date
    {
        details.actual_incident_start_date = Some(date);
        changes.push((
            "ActualIncidentStartDateUpdated",
            format!("Actual incident start date set to {date}"),
        ));
    }

    let mut redundant = 0;
    let mut record = |(changed, extra): (bool, u64), action: &'static str, message: &str| {
        redundant += extra;
        if changed {
            changes.push((action, message.to_string()));
        }
    };
    let convert_watchers =
        |list: Option<Vec<WatcherInput>>| list.iter().flatten().map(to_watcher).collect();
    record(
        update_list(
            &mut details.watchers,
            convert_watchers(input.watchers_to_delete),
            convert_watchers(input.watchers_to_add),
            watcher_identity,
        ),
        "WatchersUpdated",
        "Case watchers updated",
    );
    let convert_ips = |list: Option<Vec<ThreatActorIpInput>>| {
        list.iter().flatten().map(to_threat_actor_ip).collect()
    };
    record(
        update_list(
            &mut details.threat_actor_ip_addresses,
            convert_ips(input.threat_actor_ip_addresses_to_delete),
            convert_ips(input.threat_actor_ip_addresses_to_add),
            ip_identity,
        ),
        "ThreatActorIpAddressesUpdated",
        "Threat actor IP addresses updated",
    );
    record(
        update_list(
            &mut details.impacted_services,
            input.impacted_services_to_delete.unwrap_or_default(),
            input.impacted_services_to_add.unwrap_or_default(),
            String::clone,
        ),
        "ImpactedServicesUpdated",
        "Impacted services updated",
    );
    let convert_regions =
        |list: Option<Vec<RegionInput>>| list.iter().flatten().map(to_region).collect();
    record(
        update_list(
            &mut details.impacted_aws_regions,
            convert_regions(input.impacted_aws_regions_to_delete),
            convert_regions(input.impacted_aws_regions_to_add),
            StoredRegion::clone,
        ),
        "ImpactedAwsRegionsUpdated",
        "Impacted AWS regions updated",
    );
    record(
        update_list(
            &mut details.impacted_accounts,
            input.impacted_accounts_to_delete.unwrap_or_default(),
            input.impacted_accounts_to_add.unwrap_or_default(),
            String::clone,
        ),
        "ImpactedAccountsUpdated",
        "Impacted accounts updated",
    );
    if let Some(entries) = input.case_metadata {
        let entries: Vec<StoredMetadataEntry> = entries
            .into_iter()
            .map(|entry| StoredMetadataEntry {
                key: entry.key.unwrap_or_default(),
                value: entry.value.unwrap_or_default(),
            })
            .collect();
        if entries != details.case_metadata {
            details.case_metadata = entries;
            changes.push(("CaseMetadataUpdated", "Case metadata replaced".into()));
        }
    }

    for (field, count, limit) in [
        ("watchers", details.watchers.len(), 30),
        (
            "threat actor IP addresses",
            details.threat_actor_ip_addresses.len(),
            200,
        ),
        ("impacted services", details.impacted_services.len(), 600),
        (
            "impacted AWS regions",
            details.impacted_aws_regions.len(),
            50,
        ),
        ("impacted accounts", details.impacted_accounts.len(), 200),
    ] {
        if count > limit {
            return Err(quota_exceeded(case_id, field, count, limit));
        }
    }

    let changed = !changes.is_empty();
    for (action, message) in changes {
        case.record_edit(context.now, action, message);
    }
    *stored = case;
    Ok(Reply::json(StatusCode::OK, &json!({}))
        .changed(changed)
        .redundant(redundant))
}

pub(crate) fn update_case_status(
    state: &mut State,
    context: &CallContext,
    case_id: &str,
    input: UpdateCaseStatusInput,
) -> Result<Reply, ApiError> {
    let mut checker = Checker::new();
    if let Some(status) = checker.required("caseStatus", &input.case_status) {
        checker.one_of("caseStatus", status, &SELF_MANAGED_STATUSES);
    }
    checker.finish()?;
    let target: CaseStatus = parse_enum(
        "caseStatus",
        input.case_status.as_deref().unwrap_or_default(),
    )?;
    let case = open_case_mut(state, case_id)?;
    if case.details.resolver_type == ResolverType::Aws {
        return Err(ApiError::rule(
            "caseStatus",
            format!("Case {case_id} is resolved by AWS; only AWS responders change its status"),
        ));
    }
    let current = case.details.case_status;
    if !is_legal_move(current, target) {
        return Err(ApiError::rule(
            "caseStatus",
            format!(
                "Case {case_id} cannot move from status {current:?} to {target:?}",
                current = current.as_str(),
                target = target.as_str()
            ),
        ));
    }
    case.details.case_status = target;
    case.record_edit(
        context.now,
        "StatusUpdated",
        format!("Status changed from {current} to {target}"),
    );
    Ok(Reply::json(StatusCode::CREATED, &json!({"caseStatus": target})).changed(true))
}

pub(crate) fn close_case(
    state: &mut State,
    context: &CallContext,
    case_id: &str,
) -> Result<Reply, ApiError> {
    let case = open_case_mut(state, case_id)?;
    let previous = case.details.case_status;
    case.details.case_status = CaseStatus::Closed;
    case.details.closed_date = Some(context.now);
    case.details.pending_action = "None".to_string();
    case.record_edit(
        context.now,
        "CaseClosed",
        format!("Case closed from status {previous}"),
    );
    Ok(Reply::json(
        StatusCode::OK,
        &json!({"caseStatus": CaseStatus::Closed, "closedDate": context.now}),
    )
    .changed(true))
}

pub(crate) fn update_resolver_type(
    state: &mut State,
    context: &CallContext,
    case_id: &str,
    input: UpdateResolverTypeInput,
) -> Result<Reply, ApiError> {
    let mut checker = Checker::new();
    if let Some(resolver) = checker.required("resolverType", &input.resolver_type) {
        checker.one_of("resolverType", resolver, &RESOLVER_TYPES);
    }
    checker.finish()?;
    let target: ResolverType = parse_enum(
        "resolverType",
        input.resolver_type.as_deref().unwrap_or_default(),
    )?;
    let case = open_case_mut(state, case_id)?;
    let current = case.details.resolver_type;
    let reply = |case: &StoredCase| {
        json!({
            "caseId": case_id,
            "caseStatus": case.details.case_status,
            "resolverType": case.details.resolver_type,
        })
    };
    match (current, target) {
        (ResolverType::Aws, ResolverType::SelfManaged) => Err(ApiError::rule(
            "resolverType",
            format!(
                "Case {case_id} is resolved by AWS; the resolver type cannot go back from AWS to Self"
            ),
        )),
        _ if current == target => Ok(Reply::json(StatusCode::OK, &reply(case)).redundant(1)),
        _ => {
            case.details.resolver_type = target;
            case.record_edit(
                context.now,
                "ResolverTypeUpdated",
                format!("Resolver type changed from {current} to {target}"),
            );
            Ok(Reply::json(StatusCode::OK, &reply(case)).changed(true))
        }
    }
}

/// The case a resource ARN names. Only case ARNs that this emulator handed out exist.
fn case_id_of_arn(state: &State, arn: &str) -> Result<String, ApiError> {
    validation::check_resource_arn(arn)?;
    let not_found = || ApiError::ResourceNotFound {
        message: format!("Resource {arn} does not exist"),
    };
    let case_id = arn
        .rsplit_once(":case/")
        .map(|(_, id)| id)
        .ok_or_else(not_found)?;
    match state.cases.get(case_id) {
        Some(case) if case.details.case_arn == arn => Ok(case_id.to_string()),
        _ => Err(not_found()),
    }
}

pub(crate) fn tag_resource(
    state: &mut State,
    context: &CallContext,
    arn: &str,
    input: TagResourceInput,
) -> Result<Reply, ApiError> {
    let mut checker = Checker::new();
    checker.required("tags", &input.tags);
    checker.tags("tags", &input.tags);
    checker.finish()?;
    let case_id = case_id_of_arn(state, arn)?;
    let case = open_case_mut(state, &case_id)?;
    let mut tags = case.tags.clone();
    let mut redundant = 0;
    for (key, value) in input.tags.unwrap_or_default() {
        if tags.get(&key) == Some(&value) {
            redundant += 1;
        } else {
            tags.insert(key, value);
        }
    }
    if tags.len() > 200 {
        return Err(quota_exceeded(&case_id, "tags", tags.len(), 200));
    }
    let changed = tags != case.tags;
    if changed {
        case.tags = tags;
        case.record_edit(
            context.now,
            "TagsUpdated",
            "Case tags added or changed".into(),
        );
    }
    Ok(Reply {
        status: StatusCode::NO_CONTENT,
        body: None,
        changed,
        redundant,
    })
}

pub(crate) fn untag_resource(
    state: &mut State,
    context: &CallContext,
    arn: &str,
    tag_keys: Vec<String>,
) -> Result<Reply, ApiError> {
    let mut checker = Checker::new();
    if tag_keys.is_empty() {
        checker.problem("tagKeys", "is required");
    }
    for key in &tag_keys {
        checker.length("tagKeys", key, 1, 128);
    }
    checker.finish()?;
    let case_id = case_id_of_arn(state, arn)?;
    let case = open_case_mut(state, &case_id)?;
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
        case.record_edit(context.now, "TagsRemoved", "Case tags removed".into());
    }
    Ok(Reply::json(StatusCode::OK, &json!({}))
        .changed(changed)
        .redundant(redundant))
}

pub(crate) fn list_tags_for_resource(state: &State, arn: &str) -> Result<Reply, ApiError> {
    let case_id = case_id_of_arn(state, arn)?;
    let tags = state.cases.get(&case_id).map(|case| &case.tags);
    Ok(Reply::json(StatusCode::OK, &json!({"tags": tags})))
}

pub(crate) fn create_case_comment(
    state: &mut State,
    context: &CallContext,
    case_id: &str,
    input: CreateCaseCommentInput,
    digest: String,
) -> Result<Reply, ApiError> {
    let mut checker = Checker::new();
    checker.optional_text("clientToken", &input.client_token, 1, 255);
    if let Some(body) = checker.required("body", &input.body) {
        checker.length("body", body, 1, 12000);
    }
    checker.finish()?;
    let case = open_case_mut(state, case_id)?;
    if let Some(token) = &input.client_token
        && let Some(record) = case.comment_tokens.get(token)
    {
        if record.request_digest != digest {
            return Err(ApiError::Conflict {
                message: format!(
                    "clientToken {token:?} was already used with a different CreateCaseComment request"
                ),
                resource_id: case_id.to_string(),
            });
        }
        return Ok(Reply::json(
            StatusCode::CREATED,
            &json!({"commentId": record.created_id}),
        ));
    }
    if case.comments.len() >= 999_999 {
        return Err(quota_exceeded(
            case_id,
            "comments",
            case.comments.len() + 1,
            999_999,
        ));
    }
    let comment_id = format!("{:06}", case.comments.len() + 1);
    case.comments.push(Comment {
        comment_id: comment_id.clone(),
        created_date: context.now,
        last_updated_date: context.now,
        creator: PRINCIPAL.to_string(),
        last_updated_by: PRINCIPAL.to_string(),
        body: input.body.unwrap_or_default(),
    });
    if let Some(token) = input.client_token {
        case.comment_tokens.insert(
            token,
            IdempotencyRecord {
                request_digest: digest,
                created_id: comment_id.clone(),
            },
        );
    }
    case.record_edit(
        context.now,
        "CommentAdded",
        format!("Comment {comment_id} added"),
    );
    Ok(Reply::json(StatusCode::CREATED, &json!({"commentId": comment_id})).changed(true))
}

pub(crate) fn list_comments(
    state: &State,
    case_id: &str,
    input: &PageInput,
) -> Result<Reply, ApiError> {
    let max_results = validation::check_max_results(input.max_results)?;
    let case = state
        .cases
        .get(case_id)
        .ok_or_else(|| ApiError::case_not_found(case_id))?;
    let (items, next_token) =
        pagination::page_by_offset(&case.comments, input.next_token.as_deref(), max_results)?;
    Ok(Reply::json(
        StatusCode::OK,
        &ListPage {
            next_token,
            items,
            total: case.comments.len(),
        },
    ))
}

pub(crate) fn list_case_edits(
    state: &State,
    case_id: &str,
    input: &PageInput,
) -> Result<Reply, ApiError> {
    let max_results = validation::check_max_results(input.max_results)?;
    let case = state
        .cases
        .get(case_id)
        .ok_or_else(|| ApiError::case_not_found(case_id))?;
    let (items, next_token) =
        pagination::page_by_offset(&case.edits, input.next_token.as_deref(), max_results)?;
    Ok(Reply::json(
        StatusCode::OK,
        &ListPage {
            next_token,
            items,
            total: case.edits.len(),
        },
    ))
}
