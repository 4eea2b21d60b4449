//! The case itself: CreateCase, GetCase, ListCases, UpdateCase, UpdateCaseStatus, CloseCase,
//! UpdateResolverType and ListCaseEdits.

use std::collections::BTreeMap;
use std::ops::Bound;

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::json;

use super::{CallContext, ListPage, Reply, case, open_case_mut, parse_enum, replayed};
use crate::emulator::pagination;
use crate::emulator::service_error::ServiceError;
use crate::emulator::status_edges::is_legal_move;
use crate::emulator::store::{
    CaseDetails, IdempotencyRecord, State, StoredCase, StoredMetadataEntry, StoredRegion,
    StoredThreatActorIp, StoredWatcher,
};
use crate::emulator::validation::{
    ENGAGEMENT_TYPES, RESOLVER_TYPES, RequestChecker, SELF_MANAGED_STATUSES,
};
use crate::emulator::wire::{
    CreateCaseBody, PageInput, RegionInput, ThreatActorIpInput, UpdateCaseInput,
    UpdateCaseStatusInput, UpdateResolverTypeInput, WatcherInput,
};
use crate::model::{CaseStatus, EngagementType, ResolverType};

/// One of a case's lists as UpdateCase changes it: the members that add to and delete from it,
/// how many items it may hold (from the model) and the edit that records a change to it.
struct CaseList {
    added: &'static str,
    deleted: &'static str,
    /// The list in a quota error's words.
    name: &'static str,
    limit: usize,
    action: &'static str,
    message: &'static str,
}

const WATCHERS: CaseList = CaseList {
    added: "watchersToAdd",
    deleted: "watchersToDelete",
    name: "watchers",
    limit: 30,
    action: "WatchersUpdated",
    message: "Case watchers updated",
};
const THREAT_ACTOR_IPS: CaseList = CaseList {
    added: "threatActorIpAddressesToAdd",
    deleted: "threatActorIpAddressesToDelete",
    name: "threat actor IP addresses",
    limit: 200,
    action: "ThreatActorIpAddressesUpdated",
    message: "Threat actor IP addresses updated",
};
const IMPACTED_SERVICES: CaseList = CaseList {
    added: "impactedServicesToAdd",
    deleted: "impactedServicesToDelete",
    name: "impacted services",
    limit: 600,
    action: "ImpactedServicesUpdated",
    message: "Impacted services updated",
};
const IMPACTED_REGIONS: CaseList = CaseList {
    added: "impactedAwsRegionsToAdd",
    deleted: "impactedAwsRegionsToDelete",
    name: "impacted AWS regions",
    limit: 50,
    action: "ImpactedAwsRegionsUpdated",
    message: "Impacted AWS regions updated",
};
const IMPACTED_ACCOUNTS: CaseList = CaseList {
    added: "impactedAccountsToAdd",
    deleted: "impactedAccountsToDelete",
    name: "impacted accounts",
    limit: 200,
    action: "ImpactedAccountsUpdated",
    message: "Impacted accounts updated",
};

pub(crate) fn to_watcher(input: &WatcherInput) -> StoredWatcher {
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

/// The stored form of each item of an optional wire list.
fn converted<I, T>(list: &Option<Vec<I>>, convert: impl Fn(&I) -> T) -> Vec<T> {
    list.iter().flatten().map(convert).collect()
}

/// Adds `items` not yet present (by `identity`); returns how many were already there.
pub(crate) fn add_items<T, K: PartialEq>(
    list: &mut Vec<T>,
    items: Vec<T>,
    identity: impl Fn(&T) -> K,
) -> u64 {
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
pub(crate) fn delete_items<T, K: PartialEq>(
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

pub(crate) fn watcher_identity(watcher: &StoredWatcher) -> String {
    watcher.email.to_lowercase()
}

fn ip_identity(ip: &StoredThreatActorIp) -> (String, Option<String>) {
    (ip.ip_address.clone(), ip.user_agent.clone())
}

pub(crate) fn quota_exceeded(
    case_id: &str,
    field: &str,
    count: usize,
    limit: usize,
) -> ServiceError {
    ServiceError::ServiceQuotaExceeded {
        message: format!("Case {case_id} would have {count} {field}; at most {limit} are allowed"),
        resource_id: case_id.to_string(),
        quota_code: "case-list-size",
    }
}

pub(crate) fn validate_create_case(input: &CreateCaseBody) -> Result<(), ServiceError> {
    let mut checker = RequestChecker::new();
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
    input: CreateCaseBody,
    digest: String,
) -> Result<Reply, ServiceError> {
    let token_key = input
        .client_token
        .as_deref()
        .map(|token| context.partition.token_key(token));
    if let (Some(token), Some(key)) = (&input.client_token, &token_key) {
        let record = state.create_tokens.get(key);
        let resource = record.map_or("", |record| record.created_id.as_str());
        if let Some(case_id) = replayed(record, token, &digest, "CreateCase", resource)? {
            return Ok(Reply::json(
                StatusCode::CREATED,
                &json!({"caseId": case_id}),
            ));
        }
    }
    let resolver_type: ResolverType = parse_enum(
        "resolverType",
        input.resolver_type.as_deref().unwrap_or_default(),
    )?;
    let engagement_type: EngagementType = parse_enum(
        "engagementType",
        input.engagement_type.as_deref().unwrap_or_default(),
    )?;
    // Allocated only once the request is known good, so a refused one uses up no id.
    let case_id = state.allocate_case_id();
    let case = new_case(
        case_id.clone(),
        context,
        (resolver_type, engagement_type),
        input,
    );
    state.cases.insert(case_id.clone(), case);
    if let Some(key) = token_key {
        state.create_tokens.insert(
            key,
            IdempotencyRecord {
                request_digest: digest,
                created_id: case_id.clone(),
            },
        );
    }
    Ok(Reply::json(StatusCode::CREATED, &json!({"caseId": case_id})).changed(true))
}

/// A case as CreateCase makes it: Submitted, with its first edit.
fn new_case(
    case_id: String,
    context: &CallContext,
    (resolver_type, engagement_type): (ResolverType, EngagementType),
    input: CreateCaseBody,
) -> StoredCase {
    let details = CaseDetails {
        title: input.title.unwrap_or_default(),
        case_arn: context.partition.case_arn(&case_id),
        description: input.description.unwrap_or_default(),
        case_status: CaseStatus::Submitted,
        engagement_type,
        reported_incident_start_date: input.reported_incident_start_date.unwrap_or_default(),
        actual_incident_start_date: None,
        impacted_aws_regions: converted(&input.impacted_aws_regions, to_region),
        threat_actor_ip_addresses: converted(&input.threat_actor_ip_addresses, to_threat_actor_ip),
        pending_action: "None".to_string(),
        impacted_accounts: input.impacted_accounts.unwrap_or_default(),
        watchers: converted(&input.watchers, to_watcher),
        created_date: context.now,
        last_updated_date: context.now,
        resolver_type,
        impacted_services: input.impacted_services.unwrap_or_default(),
        closed_date: None,
        closure_code: None,
        case_metadata: Vec::new(),
        case_attachments: Vec::new(),
    };
    let mut case = StoredCase {
        case_id,
        details,
        tags: input.tags.unwrap_or_default(),
        comments: Vec::new(),
        comment_tokens: BTreeMap::new(),
        edits: Vec::new(),
        uploads: Vec::new(),
        attachment_tokens: BTreeMap::new(),
        with_aws_since: (resolver_type == ResolverType::Aws).then_some(context.now),
    };
    case.record_edit(
        context.now,
        &context.principal,
        "CaseCreated",
        format!("Case created with resolver type {resolver_type}"),
    );
    case
}

pub(crate) fn validate_case_id(case_id: &str) -> Result<(), ServiceError> {
    let mut checker = RequestChecker::new();
    checker.case_id(case_id);
    checker.finish()
}

pub(crate) fn get_case(
    state: &State,
    context: &CallContext,
    case_id: &str,
) -> Result<Reply, ServiceError> {
    validate_case_id(case_id)?;
    Ok(Reply::json(
        StatusCode::OK,
        &case(state, context, case_id)?.details,
    ))
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

/// ListCases, newest case first, the calling partition's cases only.
pub(crate) fn list_cases(
    state: &State,
    context: &CallContext,
    input: &PageInput,
) -> Result<Reply, ServiceError> {
    let mut checker = RequestChecker::new();
    let max_results = checker.page(&input.next_token, input.max_results);
    checker.finish()?;
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
    let visible = |case: &&StoredCase| context.partition.owns(&case.details.case_arn);
    let mut items = Vec::with_capacity(max_results);
    let mut has_more = false;
    for case in candidates.filter(visible) {
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
    let total = state.cases.values().filter(visible).count();
    Ok(Reply::json(
        StatusCode::OK,
        &ListPage {
            next_token,
            items,
            total,
        },
    ))
}

pub(crate) fn validate_update_case(
    case_id: &str,
    input: &UpdateCaseInput,
) -> Result<(), ServiceError> {
    let mut checker = RequestChecker::new();
    checker.case_id(case_id);
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
    refuse_add_and_delete_of_one_item(&mut checker, input);
    checker.finish()
}

/// The API does not say in which order one UpdateCase applies a list's additions and
/// deletions, so an item (a watcher by email, an IP by address) both added and deleted in one
/// call has no defined outcome: refused, naming both places.
fn refuse_add_and_delete_of_one_item(checker: &mut RequestChecker, input: &UpdateCaseInput) {
    refuse_in_both(
        checker,
        &WATCHERS,
        (&input.watchers_to_add, &input.watchers_to_delete),
        |watcher| watcher.email.as_deref().map(str::to_lowercase),
    );
    refuse_in_both(
        checker,
        &THREAT_ACTOR_IPS,
        (
            &input.threat_actor_ip_addresses_to_add,
            &input.threat_actor_ip_addresses_to_delete,
        ),
        |ip| ip.ip_address.clone(),
    );
    refuse_in_both(
        checker,
        &IMPACTED_SERVICES,
        (
            &input.impacted_services_to_add,
            &input.impacted_services_to_delete,
        ),
        String::clone,
    );
    refuse_in_both(
        checker,
        &IMPACTED_REGIONS,
        (
            &input.impacted_aws_regions_to_add,
            &input.impacted_aws_regions_to_delete,
        ),
        |region| region.region.clone(),
    );
    refuse_in_both(
        checker,
        &IMPACTED_ACCOUNTS,
        (
            &input.impacted_accounts_to_add,
            &input.impacted_accounts_to_delete,
        ),
        String::clone,
    );
}

/// Reports each item of `list`'s additions that its deletions hold too (by `key`).
fn refuse_in_both<T, K: PartialEq>(
    checker: &mut RequestChecker,
    list: &CaseList,
    (added, deleted): (&Option<Vec<T>>, &Option<Vec<T>>),
    key: impl Fn(&T) -> K,
) {
    let (Some(added), Some(deleted)) = (added, deleted) else {
        return;
    };
    for (index, item) in added.iter().enumerate() {
        if let Some(other) = deleted.iter().position(|gone| key(gone) == key(item)) {
            checker.problem(
                &format!("{}[{index}]", list.added),
                format!(
                    "is also in {}[{other}]; one call cannot both add and delete an item, since the order is not defined: delete in one call, add in the next",
                    list.deleted
                ),
            );
        }
    }
}

/// What one UpdateCase does to a case: its edits, in order, and how many list items were
/// redundant.
#[derive(Default)]
struct CaseChanges {
    edits: Vec<(&'static str, String)>,
    redundant: u64,
}

impl CaseChanges {
    fn edit(&mut self, action: &'static str, message: String) {
        self.edits.push((action, message));
    }

    /// One list's additions, then its deletions: the strictest order, in which a call that
    /// would pass the list's limit before its deletions is refused even if it would end under
    /// it.
    fn update_list<I, T: PartialEq + Clone, K: PartialEq>(
        &mut self,
        (case_id, rule): (&str, &CaseList),
        list: &mut Vec<T>,
        (added, deleted): (&Option<Vec<I>>, &Option<Vec<I>>),
        (convert, identity): (impl Fn(&I) -> T + Copy, impl Fn(&T) -> K + Copy),
    ) -> Result<(), ServiceError> {
        let (to_add, to_delete) = (converted(added, convert), converted(deleted, convert));
        let before = list.clone();
        let mut redundant = add_items(list, to_add, identity);
        if list.len() > rule.limit {
            return Err(quota_exceeded(case_id, rule.name, list.len(), rule.limit));
        }
        redundant += delete_items(list, to_delete, identity);
        self.redundant += redundant;
        if *list != before {
            self.edit(rule.action, rule.message.to_string());
        }
        Ok(())
    }
}

/// UpdateCase, after `validate_update_case`. Checked whole before anything is changed, so a
/// refused update leaves the case as it was.
pub(crate) fn update_case(
    state: &mut State,
    context: &CallContext,
    case_id: &str,
    input: UpdateCaseInput,
) -> Result<Reply, ServiceError> {
    let stored = open_case_mut(state, context, case_id)?;
    let mut case = stored.clone();
    let mut changes = CaseChanges::default();
    update_fields(&mut case.details, &input, &mut changes)?;
    update_lists(case_id, &mut case.details, &input, &mut changes)?;
    update_metadata(&mut case.details, &input, &mut changes);

    let changed = !changes.edits.is_empty();
    for (action, message) in changes.edits {
        case.record_edit(context.now, &context.principal, action, message);
    }
    *stored = case;
    Ok(Reply::json(StatusCode::OK, &json!({}))
        .changed(changed)
        .redundant(changes.redundant))
}

/// The members of UpdateCase that set one value each.
fn update_fields(
    details: &mut CaseDetails,
    input: &UpdateCaseInput,
    changes: &mut CaseChanges,
) -> Result<(), ServiceError> {
    if let Some(title) = &input.title
        && *title != details.title
    {
        details.title.clone_from(title);
        changes.edit("TitleUpdated", "Case title updated".into());
    }
    if let Some(description) = &input.description
        && *description != details.description
    {
        details.description.clone_from(description);
        changes.edit("DescriptionUpdated", "Case description updated".into());
    }
    if let Some(engagement) = &input.engagement_type {
        let engagement: EngagementType = parse_enum("engagementType", engagement)?;
        if engagement != details.engagement_type {
            details.engagement_type = engagement;
            changes.edit(
                "EngagementTypeUpdated",
                format!("Engagement type set to {engagement}"),
            );
        }
    }
    #[allow(
        clippy::float_cmp,
        reason = "the service stores the seconds it is sent; any other value is a change"
    )]
    if let Some(date) = input.reported_incident_start_date
        && date != details.reported_incident_start_date
    {
        details.reported_incident_start_date = date;
        changes.edit(
            "ReportedIncidentStartDateUpdated",
            format!("Reported incident start date set to {date}"),
        );
    }
    if let Some(date) = input.actual_incident_start_date
        && Some(date) != details.actual_incident_start_date
    {
        details.actual_incident_start_date = Some(date);
        changes.edit(
            "ActualIncidentStartDateUpdated",
            format!("Actual incident start date set to {date}"),
        );
    }
    Ok(())
}

/// The members of UpdateCase that add to and delete from the case's lists.
fn update_lists(
    case_id: &str,
    details: &mut CaseDetails,
    input: &UpdateCaseInput,
    changes: &mut CaseChanges,
) -> Result<(), ServiceError> {
    changes.update_list(
        (case_id, &WATCHERS),
        &mut details.watchers,
        (&input.watchers_to_add, &input.watchers_to_delete),
        (to_watcher, watcher_identity),
    )?;
    changes.update_list(
        (case_id, &THREAT_ACTOR_IPS),
        &mut details.threat_actor_ip_addresses,
        (
            &input.threat_actor_ip_addresses_to_add,
            &input.threat_actor_ip_addresses_to_delete,
        ),
        (to_threat_actor_ip, ip_identity),
    )?;
    changes.update_list(
        (case_id, &IMPACTED_SERVICES),
        &mut details.impacted_services,
        (
            &input.impacted_services_to_add,
            &input.impacted_services_to_delete,
        ),
        (String::clone, String::clone),
    )?;
    changes.update_list(
        (case_id, &IMPACTED_REGIONS),
        &mut details.impacted_aws_regions,
        (
            &input.impacted_aws_regions_to_add,
            &input.impacted_aws_regions_to_delete,
        ),
        (to_region, StoredRegion::clone),
    )?;
    changes.update_list(
        (case_id, &IMPACTED_ACCOUNTS),
        &mut details.impacted_accounts,
        (
            &input.impacted_accounts_to_add,
            &input.impacted_accounts_to_delete,
        ),
        (String::clone, String::clone),
    )
}

/// The metadata list is replaced whole: the API has no way to add or remove one entry.
fn update_metadata(details: &mut CaseDetails, input: &UpdateCaseInput, changes: &mut CaseChanges) {
    let Some(entries) = &input.case_metadata else {
        return;
    };
    let entries: Vec<StoredMetadataEntry> = entries
        .iter()
        .map(|entry| StoredMetadataEntry {
            key: entry.key.clone().unwrap_or_default(),
            value: entry.value.clone().unwrap_or_default(),
        })
        .collect();
    if entries != details.case_metadata {
        details.case_metadata = entries;
        changes.edit("CaseMetadataUpdated", "Case metadata replaced".into());
    }
}

/// The request of an operation whose body is one required enum member: the case id and the
/// member checked together, then the member's value.
fn required_enum<T: std::str::FromStr>(
    case_id: &str,
    (field, allowed): (&str, &[&str]),
    value: &Option<String>,
) -> Result<T, ServiceError> {
    let mut checker = RequestChecker::new();
    checker.case_id(case_id);
    if let Some(value) = checker.required(field, value) {
        checker.one_of(field, value, allowed);
    }
    checker.finish()?;
    parse_enum(field, value.as_deref().unwrap_or_default())
}

pub(crate) fn update_case_status(
    state: &mut State,
    context: &CallContext,
    case_id: &str,
    input: UpdateCaseStatusInput,
) -> Result<Reply, ServiceError> {
    let target: CaseStatus = required_enum(
        case_id,
        ("caseStatus", &SELF_MANAGED_STATUSES),
        &input.case_status,
    )?;
    let case = open_case_mut(state, context, case_id)?;
    if case.details.resolver_type == ResolverType::Aws {
        return Err(ServiceError::rule(
            "caseStatus",
            format!("Case {case_id} is resolved by AWS; only AWS responders change its status"),
        ));
    }
    let current = case.details.case_status;
    // A move to the status the case already has is not an edge of the machine either.
    if !is_legal_move(current, target) {
        return Err(ServiceError::rule(
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
        &context.principal,
        "StatusUpdated",
        format!("Status changed from {current} to {target}"),
    );
    Ok(Reply::json(StatusCode::CREATED, &json!({"caseStatus": target})).changed(true))
}

pub(crate) fn close_case(
    state: &mut State,
    context: &CallContext,
    case_id: &str,
) -> Result<Reply, ServiceError> {
    validate_case_id(case_id)?;
    // A second CloseCase finds the case closed: a ConflictException like any other write.
    let case = open_case_mut(state, context, case_id)?;
    let previous = case.details.case_status;
    case.details.case_status = CaseStatus::Closed;
    case.details.closed_date = Some(context.now);
    case.details.pending_action = "None".to_string();
    case.record_edit(
        context.now,
        &context.principal,
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
) -> Result<Reply, ServiceError> {
    let target: ResolverType = required_enum(
        case_id,
        ("resolverType", &RESOLVER_TYPES),
        &input.resolver_type,
    )?;
    let case = open_case_mut(state, context, case_id)?;
    let current = case.details.resolver_type;
    let reply = |case: &StoredCase| {
        json!({
            "caseId": case_id,
            "caseStatus": case.details.case_status,
            "resolverType": case.details.resolver_type,
        })
    };
    match (current, target) {
        (ResolverType::Aws, ResolverType::SelfManaged) => Err(ServiceError::rule(
            "resolverType",
            format!(
                "Case {case_id} is resolved by AWS; the resolver type cannot go back from AWS to Self"
            ),
        )),
        _ if current == target => Ok(Reply::json(StatusCode::OK, &reply(case)).redundant(1)),
        _ => {
            case.details.resolver_type = target;
            case.with_aws_since = Some(context.now);
            case.record_edit(
                context.now,
                &context.principal,
                "ResolverTypeUpdated",
                format!("Resolver type changed from {current} to {target}"),
            );
            Ok(Reply::json(StatusCode::OK, &reply(case)).changed(true))
        }
    }
}

pub(crate) fn list_case_edits(
    state: &State,
    context: &CallContext,
    case_id: &str,
    input: &PageInput,
) -> Result<Reply, ServiceError> {
    super::list_of_case(state, context, case_id, input, |case| &case.edits)
}
