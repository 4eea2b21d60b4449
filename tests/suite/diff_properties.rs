//! Evidence that the status machine and the diff do what `docs/reference.md` says, checked
//! against code written separately from theirs: an exhaustive comparison of `shortest_path` with
//! a reference breadth-first search over the edge list written out again, and property tests
//! that apply every planned request to a pure model of the API's semantics.
//!
//! The model is deliberately adversarial where the API is silent: one UpdateCase applies its
//! ToAdd lists before its ToDelete lists, so it refuses a call that adds and deletes the same
//! key (a watcher's lower-cased email, a threat-actor IP's ipAddress alone, a value) and a call
//! whose list passes its limit before the deletes free room; and every redundant item,
//! unchanged scalar or illegal move is recorded as a violation instead of being tolerated.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use proptest::prelude::*;
use proptest::sample::subsequence;

use sirops::diff::{CaseDelta, DiffError, diff};
use sirops::model::{
    CaseStatus, DesiredCase, EngagementType, LiveCase, MetadataEntry, OWNERSHIP_TAG_KEY,
    ResolverType, ThreatActorIp, Timestamp, Watcher,
};
use sirops::request::{ImpactedAwsRegion, Request, UpdateCaseInput};
use sirops::status::{StatusPathError, is_legal_move, shortest_path};

// ---------------------------------------------------------------------------------------------
// Reference status machine: the seed documents' edges, spelled as the API spells them.

const SELF_MANAGED_EDGES: [(&str, &str); 7] = [
    ("Submitted", "Detection and Analysis"),
    (
        "Detection and Analysis",
        "Containment, Eradication and Recovery",
    ),
    ("Detection and Analysis", "Post-incident Activities"),
    (
        "Containment, Eradication and Recovery",
        "Detection and Analysis",
    ),
    (
        "Containment, Eradication and Recovery",
        "Post-incident Activities",
    ),
    (
        "Post-incident Activities",
        "Containment, Eradication and Recovery",
    ),
    ("Post-incident Activities", "Detection and Analysis"),
];

fn status(wire: &str) -> CaseStatus {
    wire.parse().expect("a status of the API")
}

/// Every edge of the reference graph: the self-managed edges (Self cases only) and, for every
/// resolver, "any open status -> Closed".
fn reference_edges(resolver: ResolverType) -> Vec<(CaseStatus, CaseStatus)> {
    let mut edges = Vec::new();
    if resolver == ResolverType::SelfManaged {
        edges.extend(
            SELF_MANAGED_EDGES
                .iter()
                .map(|(from, to)| (status(from), status(to))),
        );
    }
    for &from in CaseStatus::ALL {
        if from != CaseStatus::Closed {
            edges.push((from, CaseStatus::Closed));
        }
    }
    edges
}

/// Distance in moves from `from` to `to`, by a plain BFS with a distance table.
fn reference_distance(from: CaseStatus, to: CaseStatus, resolver: ResolverType) -> Option<usize> {
    let edges = reference_edges(resolver);
    let mut distance: BTreeMap<CaseStatus, usize> = BTreeMap::from([(from, 0)]);
    let mut frontier = VecDeque::from([from]);
    while let Some(node) = frontier.pop_front() {
        let here = distance[&node];
        for &(a, b) in &edges {
            if a == node && !distance.contains_key(&b) {
                distance.insert(b, here + 1);
                frontier.push_back(b);
            }
        }
    }
    distance.get(&to).copied()
}

/// What a manifest may legitimately ask: an AWS case only for Closed, otherwise anything the
/// reference graph reaches.
fn reference_reachable(from: CaseStatus, to: CaseStatus, resolver: ResolverType) -> bool {
    if resolver == ResolverType::Aws && to != CaseStatus::Closed {
        return false;
    }
    reference_distance(from, to, resolver).is_some()
}

#[test]
fn shortest_path_agrees_with_the_reference_search_on_every_combination() {
    let mut checked = 0;
    for &resolver in ResolverType::ALL {
        for &live in CaseStatus::ALL {
            for &desired in CaseStatus::ALL {
                checked += 1;
                let result = shortest_path(live, desired, resolver);
                let context = format!("{live} -> {desired} ({resolver}): {result:?}");
                if resolver == ResolverType::Aws && desired != CaseStatus::Closed {
                    assert_eq!(
                        result,
                        Err(StatusPathError::AwsResolverStatus { desired }),
                        "{context}"
                    );
                    continue;
                }
                if let Some(distance) = reference_distance(live, desired, resolver) {
                    let path = result.unwrap_or_else(|e| panic!("{context}: {e}"));
                    assert_eq!(path.len(), distance, "shortest: {context}");
                    let edges = reference_edges(resolver);
                    let mut at = live;
                    for &step in &path {
                        assert!(edges.contains(&(at, step)), "illegal step: {context}");
                        at = step;
                    }
                    assert_eq!(at, desired, "ends at the desired status: {context}");
                } else {
                    let expected = if live == CaseStatus::Closed {
                        StatusPathError::CannotReopen { desired }
                    } else if matches!(desired, CaseStatus::Acknowledged | CaseStatus::ReadyToClose)
                    {
                        StatusPathError::SetOnlyByAws { desired }
                    } else if desired == CaseStatus::Submitted {
                        StatusPathError::CannotReturnToSubmitted { live }
                    } else {
                        StatusPathError::NoPath { live, desired }
                    };
                    assert_eq!(result, Err(expected), "{context}");
                }
                assert_eq!(
                    is_legal_move(live, desired, resolver),
                    reference_edges(resolver).contains(&(live, desired)),
                    "is_legal_move: {context}"
                );
            }
        }
    }
    assert_eq!(checked, 7 * 7 * 2);
}

// ---------------------------------------------------------------------------------------------
// A pure model of the API's semantics.

const NEW_CASE_ID: &str = "9999999999";

struct ApiModel {
    case: Option<LiveCase>,
    /// The `caseId` every request must carry: the bound case's, or `None` after a CreateCase.
    expected_case_id: Option<String>,
    update_case_calls: usize,
    status_moves: usize,
    violations: Vec<String>,
}

impl ApiModel {
    fn new(live: Option<&LiveCase>) -> Self {
        ApiModel {
            case: live.cloned(),
            expected_case_id: live.map(|case| case.case_id.clone()),
            update_case_calls: 0,
            status_moves: 0,
            violations: Vec::new(),
        }
    }

    fn violation(&mut self, what: String) {
        self.violations.push(what);
    }

    fn check_case_id(&mut self, operation: &str, case_id: &Option<String>) {
        if *case_id != self.expected_case_id {
            self.violation(format!(
                "{operation} addressed {case_id:?}, expected {:?}",
                self.expected_case_id
            ));
        }
    }

    /// The case a write may touch, or a violation when there is none or it is Closed.
    fn open_case(&mut self, operation: &str) -> Option<LiveCase> {
        match self.case.clone() {
            None => {
                self.violation(format!("{operation} before any case exists"));
                None
            }
            Some(case) if case.status == CaseStatus::Closed => {
                self.violation(format!("{operation} on a Closed case"));
                None
            }
            Some(case) => Some(case),
        }
    }

    /// The open case a request addressed by id may touch, checking that id.
    fn addressed_case(&mut self, operation: &str, case_id: &Option<String>) -> Option<LiveCase> {
        self.check_case_id(operation, case_id);
        self.open_case(operation)
    }

    /// The tags of a case, or a violation when they were never read.
    fn read_tags(&mut self, case: &LiveCase, operation: &str) -> Option<BTreeMap<String, String>> {
        let tags = case.tags.clone();
        if tags.is_none() {
            self.violation(format!("{operation} on a case whose tags were not read"));
        }
        tags
    }

    fn apply(&mut self, request: &Request) {
        match request {
            Request::CreateCase(input) => {
                if self.case.is_some() {
                    self.violation("CreateCase for a case that exists".into());
                    return;
                }
                if !input.tags.contains_key(OWNERSHIP_TAG_KEY) {
                    self.violation("CreateCase without the ownership tag".into());
                }
                self.case = Some(LiveCase {
                    case_id: NEW_CASE_ID.into(),
                    case_arn: format!(
                        "arn:aws:security-ir:us-east-1:123456789012:case/{NEW_CASE_ID}"
                    ),
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
                        .map(|r| r.region.clone())
                        .collect(),
                    impacted_accounts: input.impacted_accounts.clone(),
                    case_metadata: Vec::new(),
                    tags: Some(input.tags.clone()),
                });
                self.expected_case_id = None;
            }
            Request::UpdateResolverType(input) => {
                let Some(mut case) = self.addressed_case("UpdateResolverType", &input.case_id)
                else {
                    return;
                };
                if !(case.resolver_type == ResolverType::SelfManaged
                    && input.resolver_type == ResolverType::Aws)
                {
                    self.violation(format!(
                        "UpdateResolverType {} -> {}",
                        case.resolver_type, input.resolver_type
                    ));
                }
                case.resolver_type = input.resolver_type;
                self.case = Some(case);
            }
            Request::UpdateCase(input) => {
                self.update_case_calls += 1;
                let Some(case) = self.addressed_case("UpdateCase", &input.case_id) else {
                    return;
                };
                let case = self.update_case(case, input);
                self.case = Some(case);
            }
            Request::UpdateCaseStatus(input) => {
                self.status_moves += 1;
                let Some(mut case) = self.addressed_case("UpdateCaseStatus", &input.case_id) else {
                    return;
                };
                let target = input.case_status;
                let self_managed_target = !matches!(
                    target,
                    CaseStatus::Acknowledged | CaseStatus::ReadyToClose | CaseStatus::Closed
                );
                if !self_managed_target
                    || !reference_edges(case.resolver_type).contains(&(case.status, target))
                {
                    self.violation(format!(
                        "illegal UpdateCaseStatus {} -> {target} ({})",
                        case.status, case.resolver_type
                    ));
                }
                case.status = target;
                self.case = Some(case);
            }
            Request::CloseCase(input) => {
                self.status_moves += 1;
                let Some(mut case) = self.addressed_case("CloseCase", &input.case_id) else {
                    return;
                };
                case.status = CaseStatus::Closed;
                self.case = Some(case);
            }
            Request::TagResource(input) => {
                let Some(mut case) = self.open_case("TagResource") else {
                    return;
                };
                let expected_arn = self
                    .expected_case_id
                    .as_ref()
                    .map(|_| case.case_arn.clone());
                if input.resource_arn != expected_arn {
                    self.violation(format!("TagResource on {:?}", input.resource_arn));
                }
                if input.tags.is_empty() {
                    self.violation("TagResource with no tags".into());
                }
                let Some(mut tags) = self.read_tags(&case, "TagResource") else {
                    return;
                };
                for (key, value) in &input.tags {
                    if key.starts_with("sirops:") {
                        self.violation(format!("TagResource writes reserved key {key}"));
                    }
                    if tags.get(key) == Some(value) {
                        self.violation(format!("redundant tag {key}={value}"));
                    }
                    tags.insert(key.clone(), value.clone());
                }
                case.tags = Some(tags);
                self.case = Some(case);
            }
            Request::UntagResource(input) => {
                let Some(mut case) = self.open_case("UntagResource") else {
                    return;
                };
                if input.tag_keys.is_empty() {
                    self.violation("UntagResource with no keys".into());
                }
                let Some(mut tags) = self.read_tags(&case, "UntagResource") else {
                    return;
                };
                for key in &input.tag_keys {
                    if key.starts_with("sirops:") {
                        self.violation(format!("UntagResource removes reserved key {key}"));
                    }
                    if tags.remove(key).is_none() {
                        self.violation(format!("redundant untag {key}"));
                    }
                }
                case.tags = Some(tags);
                self.case = Some(case);
            }
        }
    }

    fn update_case(&mut self, mut case: LiveCase, input: &UpdateCaseInput) -> LiveCase {
        if input.is_empty() {
            self.violation("UpdateCase that changes nothing".into());
        }
        macro_rules! scalar {
            ($input:ident, $live:expr, $name:literal) => {
                if let Some(value) = &input.$input {
                    if $live == *value {
                        self.violation(format!("unchanged scalar {} sent", $name));
                    }
                    $live = value.clone();
                }
            };
        }
        scalar!(title, case.title, "title");
        scalar!(description, case.description, "description");
        scalar!(engagement_type, case.engagement_type, "engagementType");
        if let Some(date) = input.reported_incident_start_date {
            if case.reported_incident_start_date == Some(date) {
                self.violation("unchanged reportedIncidentStartDate sent".into());
            }
            case.reported_incident_start_date = Some(date);
        }
        if let Some(date) = input.actual_incident_start_date {
            if case.actual_incident_start_date == Some(date) {
                self.violation("unchanged actualIncidentStartDate sent".into());
            }
            case.actual_incident_start_date = Some(date);
        }

        let regions_to_add: Vec<String> = input
            .impacted_aws_regions_to_add
            .iter()
            .map(|r| r.region.clone())
            .collect();
        let regions_to_delete: Vec<String> = input
            .impacted_aws_regions_to_delete
            .iter()
            .map(|r| r.region.clone())
            .collect();
        let same_watcher = |a: &Watcher, b: &Watcher| watcher_key(a) == watcher_key(b);
        self.add_then_delete(
            ListRules {
                what: "watcher",
                limit: WATCHERS_LIMIT,
                key: watcher_key,
                same: same_watcher,
            },
            &mut case.watchers,
            &input.watchers_to_add,
            &input.watchers_to_delete,
        );
        self.add_then_delete(
            ListRules {
                what: "threat actor ip",
                limit: THREAT_ACTOR_IPS_LIMIT,
                key: ip_key,
                same: ThreatActorIp::eq,
            },
            &mut case.threat_actor_ip_addresses,
            &input.threat_actor_ip_addresses_to_add,
            &input.threat_actor_ip_addresses_to_delete,
        );
        self.add_then_delete(
            ListRules::by_value("service", IMPACTED_SERVICES_LIMIT),
            &mut case.impacted_services,
            &input.impacted_services_to_add,
            &input.impacted_services_to_delete,
        );
        self.add_then_delete(
            ListRules::by_value("region", IMPACTED_REGIONS_LIMIT),
            &mut case.impacted_aws_regions,
            &regions_to_add,
            &regions_to_delete,
        );
        self.add_then_delete(
            ListRules::by_value("account", IMPACTED_ACCOUNTS_LIMIT),
            &mut case.impacted_accounts,
            &input.impacted_accounts_to_add,
            &input.impacted_accounts_to_delete,
        );

        if let Some(metadata) = &input.case_metadata {
            if metadata.is_empty() {
                self.violation("caseMetadata: [] (the API needs 1..30 entries)".into());
            }
            if as_map(metadata) == as_map(&case.case_metadata)
                && metadata.len() == case.case_metadata.len()
            {
                self.violation("unchanged caseMetadata sent".into());
            }
            case.case_metadata.clone_from(metadata);
        }
        case
    }

    /// The strictest order: every add, then every delete. A call that adds and deletes the same
    /// key, or that holds more than the limit once its adds are in, is a violation.
    fn add_then_delete<T: Clone + std::fmt::Debug, K: Ord + std::fmt::Debug>(
        &mut self,
        rules: ListRules<impl Fn(&T) -> K, impl Fn(&T, &T) -> bool>,
        live: &mut Vec<T>,
        to_add: &[T],
        to_delete: &[T],
    ) {
        let what = rules.what;
        let deleted: BTreeSet<K> = to_delete.iter().map(&rules.key).collect();
        for key in to_add.iter().map(&rules.key) {
            if deleted.contains(&key) {
                self.violation(format!(
                    "one UpdateCase both adds and deletes {what} {key:?}"
                ));
            }
        }
        for item in to_add {
            if live.iter().any(|present| (rules.same)(present, item)) {
                self.violation(format!("redundant {what} add {item:?}"));
            } else {
                live.push(item.clone());
            }
        }
        if live.len() > rules.limit {
            self.violation(format!(
                "{} {what} items before the deletes, over the limit of {}",
                live.len(),
                rules.limit
            ));
        }
        for item in to_delete {
            match live.iter().position(|present| (rules.same)(present, item)) {
                Some(index) => {
                    live.remove(index);
                }
                None => self.violation(format!("redundant {what} delete {item:?}")),
            }
        }
    }
}

// The API model's list limits, written out again rather than read from the crate.
const WATCHERS_LIMIT: usize = 30;
const THREAT_ACTOR_IPS_LIMIT: usize = 200;
const IMPACTED_SERVICES_LIMIT: usize = 600;
const IMPACTED_REGIONS_LIMIT: usize = 50;
const IMPACTED_ACCOUNTS_LIMIT: usize = 200;

/// How the model treats one list: `key` is what the strictest API may match a delete against
/// an add by, `same` is what makes an add redundant or a delete find its item.
struct ListRules<Key, Same> {
    what: &'static str,
    limit: usize,
    key: Key,
    same: Same,
}

impl ListRules<fn(&String) -> String, fn(&String, &String) -> bool> {
    fn by_value(what: &'static str, limit: usize) -> Self {
        ListRules {
            what,
            limit,
            key: String::clone,
            same: String::eq,
        }
    }
}

fn watcher_key(watcher: &Watcher) -> String {
    watcher.email.to_lowercase()
}

fn ip_key(ip: &ThreatActorIp) -> String {
    ip.ip_address.clone()
}

fn as_map(entries: &[MetadataEntry]) -> BTreeMap<String, String> {
    entries
        .iter()
        .map(|e| (e.key.clone(), e.value.clone()))
        .collect()
}

/// A watcher as the manifest's equality sees it: email ignoring case, name, jobTitle.
fn watcher_facts(watchers: &[Watcher]) -> BTreeSet<(String, Option<String>, Option<String>)> {
    watchers
        .iter()
        .map(|w| (w.email.to_lowercase(), w.name.clone(), w.job_title.clone()))
        .collect()
}

fn set_of<T: Ord + Clone>(items: &[T]) -> BTreeSet<T> {
    items.iter().cloned().collect()
}

fn unreserved(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(key, _)| !key.starts_with("sirops:"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Every managed field of `case` that differs from the manifest, by name.
fn managed_differences(desired: &DesiredCase, case: &LiveCase) -> Vec<&'static str> {
    let mut differences = Vec::new();
    let mut check = |differs: bool, field: &'static str| {
        if differs {
            differences.push(field);
        }
    };
    check(case.title != desired.title, "title");
    check(case.description != desired.description, "description");
    check(
        case.engagement_type != desired.engagement_type,
        "engagementType",
    );
    check(case.resolver_type != desired.resolver_type, "resolverType");
    check(desired.status.is_some_and(|s| s != case.status), "status");
    check(
        case.reported_incident_start_date != Some(desired.reported_incident_start_date),
        "reportedIncidentStartDate",
    );
    check(
        desired
            .actual_incident_start_date
            .is_some_and(|d| case.actual_incident_start_date != Some(d)),
        "actualIncidentStartDate",
    );
    check(
        desired.watchers.as_ref().is_some_and(|w| {
            watcher_facts(w) != watcher_facts(&case.watchers) || case.watchers.len() != w.len()
        }),
        "watchers",
    );
    check(
        desired
            .threat_actor_ip_addresses
            .as_ref()
            .is_some_and(|ips| set_of(ips) != set_of(&case.threat_actor_ip_addresses)),
        "threatActorIpAddresses",
    );
    check(
        desired
            .impacted_services
            .as_ref()
            .is_some_and(|s| set_of(s) != set_of(&case.impacted_services)),
        "impactedServices",
    );
    check(
        desired
            .impacted_aws_regions
            .as_ref()
            .is_some_and(|r| set_of(r) != set_of(&case.impacted_aws_regions)),
        "impactedAwsRegions",
    );
    check(
        desired
            .impacted_accounts
            .as_ref()
            .is_some_and(|a| set_of(a) != set_of(&case.impacted_accounts)),
        "impactedAccounts",
    );
    check(
        desired.case_metadata.as_ref().is_some_and(|m| {
            *m != as_map(&case.case_metadata) || m.len() != case.case_metadata.len()
        }),
        "caseMetadata",
    );
    check(
        desired.tags.as_ref().is_some_and(|t| {
            case.tags
                .as_ref()
                .is_none_or(|live| unreserved(t) != unreserved(live))
        }),
        "tags",
    );
    differences
}

/// The errors that are legitimate for this pair, named by variant; empty when the pair is
/// possible and `diff` must succeed. A closed case is never an error: whatever its manifest
/// asks, the differences are drift that apply will not change.
fn legitimate_errors(desired: &DesiredCase, live: Option<&LiveCase>) -> BTreeSet<&'static str> {
    let mut errors = BTreeSet::new();
    let start = live.map_or(CaseStatus::Submitted, |case| case.status);
    let live_closed = start == CaseStatus::Closed;
    if let Some(wanted) = desired.status
        && !live_closed
        && !(wanted == start && desired.resolver_type == ResolverType::SelfManaged)
        && !reference_reachable(start, wanted, desired.resolver_type)
    {
        errors.insert("Status");
    }
    if let Some(live) = live {
        if !live_closed
            && live.resolver_type == ResolverType::Aws
            && desired.resolver_type == ResolverType::SelfManaged
        {
            errors.insert("ResolverToSelf");
        }
        if desired.tags.is_some() && live.tags.is_none() {
            errors.insert("TagsNotRead");
        }
        if live.status != CaseStatus::Closed
            && desired
                .case_metadata
                .as_ref()
                .is_some_and(BTreeMap::is_empty)
            && !live.case_metadata.is_empty()
        {
            errors.insert("EmptyCaseMetadata");
        }
    }
    errors
}

fn error_name(error: &DiffError) -> &'static str {
    match error {
        DiffError::Status(_) => "Status",
        DiffError::ResolverToSelf => "ResolverToSelf",
        DiffError::TagsNotRead => "TagsNotRead",
        DiffError::EmptyCaseMetadata => "EmptyCaseMetadata",
    }
}

/// Where each operation may appear in one case's request list.
fn operation_rank(request: &Request) -> usize {
    match request {
        Request::CreateCase(_) | Request::UpdateResolverType(_) => 0,
        Request::UpdateCase(_) => 1,
        Request::TagResource(_) => 2,
        Request::UntagResource(_) => 3,
        Request::UpdateCaseStatus(_) => 4,
        Request::CloseCase(_) => 5,
    }
}

/// Reference for when the strictest API needs a second UpdateCase: some managed list adds an
/// item whose key it also deletes, or would hold more than its limit with its adds in before
/// its deletes.
fn needs_deferred_add(desired: &DesiredCase, live: Option<&LiveCase>) -> bool {
    let Some(live) = live else {
        return false;
    };
    let value = |item: &String| item.clone();
    let mut needs = false;
    if let Some(watchers) = &desired.watchers {
        needs |= adds_must_wait(
            &watcher_facts(watchers),
            &watcher_facts(&live.watchers),
            live.watchers.len(),
            WATCHERS_LIMIT,
            |(email, _, _)| email.clone(),
        );
    }
    if let Some(ips) = &desired.threat_actor_ip_addresses {
        needs |= adds_must_wait(
            &set_of(ips),
            &set_of(&live.threat_actor_ip_addresses),
            live.threat_actor_ip_addresses.len(),
            THREAT_ACTOR_IPS_LIMIT,
            ip_key,
        );
    }
    for (wanted, present, limit) in [
        (
            &desired.impacted_services,
            &live.impacted_services,
            IMPACTED_SERVICES_LIMIT,
        ),
        (
            &desired.impacted_aws_regions,
            &live.impacted_aws_regions,
            IMPACTED_REGIONS_LIMIT,
        ),
        (
            &desired.impacted_accounts,
            &live.impacted_accounts,
            IMPACTED_ACCOUNTS_LIMIT,
        ),
    ] {
        if let Some(wanted) = wanted {
            needs |= adds_must_wait(
                &set_of(wanted),
                &set_of(present),
                present.len(),
                limit,
                value,
            );
        }
    }
    needs
}

fn adds_must_wait<T: Ord, K: Ord>(
    desired: &BTreeSet<T>,
    live: &BTreeSet<T>,
    live_len: usize,
    limit: usize,
    key: impl Fn(&T) -> K,
) -> bool {
    let deleted: BTreeSet<K> = live.difference(desired).map(&key).collect();
    let adds: Vec<&T> = desired.difference(live).collect();
    !adds.is_empty()
        && (live_len + adds.len() > limit || adds.iter().any(|item| deleted.contains(&key(item))))
}

/// Every add the second UpdateCase carries had to wait: the first deletes an item of its key,
/// or its list would pass the limit with all its adds in before its deletes.
fn check_deferred<T: std::fmt::Debug, K: Ord>(
    what: &str,
    first: (&[T], &[T]),
    deferred: &[T],
    live_len: usize,
    limit: usize,
    key: impl Fn(&T) -> K,
) -> Result<(), TestCaseError> {
    let (first_adds, first_deletes) = first;
    let over_limit = live_len + first_adds.len() + deferred.len() > limit;
    let deleted: BTreeSet<K> = first_deletes.iter().map(&key).collect();
    for item in deferred {
        prop_assert!(
            over_limit || deleted.contains(&key(item)),
            "{} add {:?} waited for the second UpdateCase for no reason",
            what,
            item
        );
    }
    Ok(())
}

/// The second UpdateCase of a case, when there is one: it carries only adds, and only adds
/// that had to wait for the first.
fn check_second_update(
    first: &UpdateCaseInput,
    second: &UpdateCaseInput,
    live: &LiveCase,
) -> Result<(), TestCaseError> {
    let adds_only = UpdateCaseInput {
        case_id: second.case_id.clone(),
        watchers_to_add: second.watchers_to_add.clone(),
        threat_actor_ip_addresses_to_add: second.threat_actor_ip_addresses_to_add.clone(),
        impacted_services_to_add: second.impacted_services_to_add.clone(),
        impacted_aws_regions_to_add: second.impacted_aws_regions_to_add.clone(),
        impacted_accounts_to_add: second.impacted_accounts_to_add.clone(),
        ..UpdateCaseInput::default()
    };
    prop_assert_eq!(
        second,
        &adds_only,
        "the second UpdateCase carries only adds"
    );
    check_deferred(
        "watcher",
        (&first.watchers_to_add, &first.watchers_to_delete),
        &second.watchers_to_add,
        live.watchers.len(),
        WATCHERS_LIMIT,
        watcher_key,
    )?;
    check_deferred(
        "threat actor ip",
        (
            &first.threat_actor_ip_addresses_to_add,
            &first.threat_actor_ip_addresses_to_delete,
        ),
        &second.threat_actor_ip_addresses_to_add,
        live.threat_actor_ip_addresses.len(),
        THREAT_ACTOR_IPS_LIMIT,
        ip_key,
    )?;
    check_deferred(
        "service",
        (
            &first.impacted_services_to_add,
            &first.impacted_services_to_delete,
        ),
        &second.impacted_services_to_add,
        live.impacted_services.len(),
        IMPACTED_SERVICES_LIMIT,
        String::clone,
    )?;
    check_deferred(
        "region",
        (
            &first.impacted_aws_regions_to_add,
            &first.impacted_aws_regions_to_delete,
        ),
        &second.impacted_aws_regions_to_add,
        live.impacted_aws_regions.len(),
        IMPACTED_REGIONS_LIMIT,
        |region: &ImpactedAwsRegion| region.region.clone(),
    )?;
    check_deferred(
        "account",
        (
            &first.impacted_accounts_to_add,
            &first.impacted_accounts_to_delete,
        ),
        &second.impacted_accounts_to_add,
        live.impacted_accounts.len(),
        IMPACTED_ACCOUNTS_LIMIT,
        String::clone,
    )
}

fn check_pair(desired: &DesiredCase, live: Option<&LiveCase>) -> Result<(), TestCaseError> {
    let legitimate = legitimate_errors(desired, live);
    let delta: CaseDelta = match diff(desired, live) {
        Err(error) => {
            prop_assert!(
                legitimate.contains(error_name(&error)),
                "unexpected error {error:?}; legitimate: {legitimate:?}"
            );
            return Ok(());
        }
        Ok(delta) => delta,
    };
    prop_assert!(
        legitimate.is_empty(),
        "diff accepted an impossible pair: {legitimate:?}"
    );

    // Order, and the status steps counted against the reference distance.
    let ranks: Vec<usize> = delta.requests.iter().map(operation_rank).collect();
    prop_assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "order {ranks:?}");
    prop_assert_eq!(
        delta.irreversible,
        delta
            .requests
            .iter()
            .any(|r| matches!(r, Request::UpdateResolverType(_)))
    );

    let mut model = ApiModel::new(live);
    for request in &delta.requests {
        model.apply(request);
    }
    prop_assert!(
        model.violations.is_empty(),
        "violations: {:?}",
        model.violations
    );
    let result = model.case.clone().expect("a case exists after the plan");

    if let Some(live) = live.filter(|case| case.status == CaseStatus::Closed) {
        prop_assert!(delta.requests.is_empty(), "writes to a closed case");
        prop_assert!(delta.status_path.is_empty());
        let differs = !managed_differences(desired, live).is_empty();
        prop_assert_eq!(delta.changes.is_empty(), !differs);
        prop_assert_eq!(delta.notes.is_empty(), !differs);
        return Ok(());
    }

    // (a) every managed field now matches the manifest.
    let differences = managed_differences(desired, &result);
    prop_assert!(differences.is_empty(), "still differs: {differences:?}");

    // ... and unmanaged fields are untouched.
    if let Some(live) = live {
        if desired.actual_incident_start_date.is_none() {
            prop_assert_eq!(
                result.actual_incident_start_date,
                live.actual_incident_start_date
            );
        }
        if desired.status.is_none() {
            prop_assert_eq!(result.status, live.status);
        }
        if desired.watchers.is_none() {
            prop_assert_eq!(&result.watchers, &live.watchers);
        }
        if desired.threat_actor_ip_addresses.is_none() {
            prop_assert_eq!(
                &result.threat_actor_ip_addresses,
                &live.threat_actor_ip_addresses
            );
        }
        if desired.impacted_services.is_none() {
            prop_assert_eq!(&result.impacted_services, &live.impacted_services);
        }
        if desired.impacted_aws_regions.is_none() {
            prop_assert_eq!(&result.impacted_aws_regions, &live.impacted_aws_regions);
        }
        if desired.impacted_accounts.is_none() {
            prop_assert_eq!(&result.impacted_accounts, &live.impacted_accounts);
        }
        if desired.case_metadata.is_none() {
            prop_assert_eq!(&result.case_metadata, &live.case_metadata);
        }
        if desired.tags.is_none() {
            prop_assert_eq!(&result.tags, &live.tags);
        }
        // Reserved tags are never touched.
        let reserved = |tags: &Option<BTreeMap<String, String>>| {
            tags.iter()
                .flatten()
                .filter(|(k, _)| k.starts_with("sirops:"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Vec<_>>()
        };
        prop_assert_eq!(reserved(&result.tags), reserved(&live.tags));
    } else {
        prop_assert_eq!(
            result.tags.as_ref().and_then(|t| t.get(OWNERSHIP_TAG_KEY)),
            Some(&desired.name)
        );
    }

    // (b) at most two UpdateCase calls, none of them empty; the second exactly when an add must
    // wait for the first's deletes, carrying only such adds; nothing sent when nothing differs.
    let updates: Vec<&UpdateCaseInput> = delta
        .requests
        .iter()
        .filter_map(|request| match request {
            Request::UpdateCase(input) => Some(input),
            _ => None,
        })
        .collect();
    prop_assert!(updates.len() <= 2, "{} UpdateCase calls", updates.len());
    prop_assert!(updates.iter().all(|input| !input.is_empty()));
    let deferred = needs_deferred_add(desired, live);
    prop_assert_eq!(
        updates.len() == 2,
        deferred,
        "{} UpdateCase calls (an add must wait: {})",
        updates.len(),
        deferred
    );
    if let (Some(live), [first, second]) = (live, updates.as_slice()) {
        check_second_update(first, second, live)?;
    }
    if let Some(live) = live {
        prop_assert_eq!(
            delta.requests.is_empty(),
            managed_differences(desired, live).is_empty(),
            "requests exactly when something differs"
        );
        prop_assert_eq!(delta.changes.is_empty(), delta.requests.is_empty());
    }

    // (c) the status moves are legal (the model refused none) and as few as possible.
    let start = live.map_or(CaseStatus::Submitted, |case| case.status);
    let expected_moves = match desired.status {
        Some(wanted) => reference_distance(start, wanted, desired.resolver_type)
            .expect("reachable, or diff would have failed"),
        None => 0,
    };
    prop_assert_eq!(model.status_moves, expected_moves);
    if expected_moves == 0 {
        prop_assert!(delta.status_path.is_empty());
    } else {
        prop_assert_eq!(delta.status_path.len(), expected_moves + 1);
        prop_assert_eq!(delta.status_path[0], start);
        prop_assert_eq!(delta.status_path.last().copied(), desired.status);
    }

    // (d) planning again against the result changes nothing.
    let again = diff(desired, Some(&result)).expect("re-diff succeeds");
    prop_assert!(again.requests.is_empty(), "re-diff: {:?}", again.requests);
    prop_assert!(again.changes.is_empty(), "re-diff: {:?}", again.changes);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Generators: small pools, so desired and live overlap often.

const EMAILS: [&str; 3] = ["alice@example.com", "bob@example.org", "carol@example.net"];
const PEOPLE: [&str; 2] = ["Alice Doe", "Bob Roe"];
const JOB_TITLES: [&str; 2] = ["CISO", "Analyst"];
const SERVICES: [&str; 3] = ["Amazon S3", "AWS IAM", "Amazon EC2"];
const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-south-1"];
const ACCOUNTS: [&str; 3] = ["111111111111", "222222222222", "000000000042"];
const METADATA_KEYS: [&str; 3] = ["severity", "owner", "ticket"];
const TAG_KEYS: [&str; 3] = ["team", "env", "cost"];
const VALUES: [&str; 3] = ["a", "b", ""];

fn spelling(email: &str, variant: u8) -> String {
    match variant {
        0 => email.to_string(),
        1 => email.to_uppercase(),
        _ => {
            let mut chars = email.chars();
            let first = chars.next().unwrap().to_uppercase();
            first.chain(chars).collect()
        }
    }
}

fn pick(pool: &[&str], index: Option<u8>) -> Option<String> {
    index.map(|i| pool[usize::from(i) % pool.len()].to_string())
}

/// Watchers unique by email (the manifest validator and the service both insist).
fn watchers() -> impl Strategy<Value = Vec<Watcher>> {
    proptest::collection::vec(
        proptest::option::of((
            0..3u8,
            proptest::option::of(0..2u8),
            proptest::option::of(0..2u8),
        )),
        EMAILS.len(),
    )
    .prop_map(|slots| {
        slots
            .into_iter()
            .zip(EMAILS)
            .filter_map(|(slot, email)| {
                slot.map(|(variant, name, job)| Watcher {
                    email: spelling(email, variant),
                    name: pick(&PEOPLE, name),
                    job_title: pick(&JOB_TITLES, job),
                })
            })
            .collect()
    })
}

fn threat_actor_ips() -> impl Strategy<Value = Vec<ThreatActorIp>> {
    let pool: Vec<ThreatActorIp> = ["198.51.100.7", "203.0.113.9"]
        .into_iter()
        .flat_map(|ip| {
            [None, Some("curl/8.4.0")].map(|agent| ThreatActorIp {
                ip_address: ip.into(),
                user_agent: agent.map(Into::into),
            })
        })
        .collect();
    subsequence(pool, 0..=4).prop_shuffle()
}

fn values_of(pool: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
    subsequence(pool.to_vec(), 0..=pool.len())
        .prop_shuffle()
        .prop_map(|items| items.into_iter().map(String::from).collect())
}

fn string_map(keys: &'static [&'static str]) -> impl Strategy<Value = BTreeMap<String, String>> {
    proptest::collection::vec(proptest::option::of(0..3u8), keys.len()).prop_map(move |slots| {
        keys.iter()
            .zip(slots)
            .filter_map(|(key, slot)| Some((key.to_string(), pick(&VALUES, Some(slot?))?)))
            .collect()
    })
}

fn any_status() -> impl Strategy<Value = CaseStatus> {
    proptest::sample::select(CaseStatus::ALL)
}

fn any_resolver() -> impl Strategy<Value = ResolverType> {
    proptest::sample::select(ResolverType::ALL)
}

fn any_engagement() -> impl Strategy<Value = EngagementType> {
    proptest::sample::select(EngagementType::ALL)
}

fn date() -> impl Strategy<Value = Timestamp> {
    proptest::sample::select(vec![1_700_000_000_000i64, 1_700_000_000_250])
        .prop_map(Timestamp::from_epoch_millis)
}

fn text(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::sample::select(pool).prop_map(String::from)
}

fn desired_case() -> impl Strategy<Value = DesiredCase> {
    let scalars = (
        text(&["Phishing", "Phishing wave"]),
        text(&["Two clerks", "Three clerks"]),
        any_engagement(),
        any_resolver(),
        proptest::option::of(any_status()),
        date(),
        proptest::option::of(date()),
    );
    let collections = (
        proptest::option::of(watchers()),
        proptest::option::of(threat_actor_ips()),
        proptest::option::of(values_of(&SERVICES)),
        proptest::option::of(values_of(&REGIONS)),
        proptest::option::of(values_of(&ACCOUNTS)),
        proptest::option::of(string_map(&METADATA_KEYS)),
        proptest::option::of(string_map(&TAG_KEYS)),
    );
    (scalars, collections).prop_map(
        |(
            (title, description, engagement_type, resolver_type, status, reported, actual),
            (watchers, ips, services, regions, accounts, case_metadata, tags),
        )| DesiredCase {
            name: "payroll-phishing".into(),
            case_id: None,
            previous_names: Vec::new(),
            title,
            description,
            engagement_type,
            resolver_type,
            status,
            reported_incident_start_date: reported,
            actual_incident_start_date: actual,
            watchers,
            threat_actor_ip_addresses: ips,
            impacted_services: services,
            impacted_aws_regions: regions,
            impacted_accounts: accounts,
            case_metadata,
            tags,
        },
    )
}

// Mirrors desired_case, but for the live type: other optionality, and reserved tags.
fn live_case() -> impl Strategy<Value = LiveCase> {
    let scalars = (
        text(&["Phishing", "Phishing wave"]),
        text(&["Two clerks", "Three clerks"]),
        any_engagement(),
        any_resolver(),
        any_status(),
        proptest::option::of(date()),
        proptest::option::of(date()),
    );
    let reserved_tags = (any::<bool>(), any::<bool>());
    let collections = (
        watchers(),
        threat_actor_ips(),
        values_of(&SERVICES),
        values_of(&REGIONS),
        values_of(&ACCOUNTS),
        string_map(&METADATA_KEYS),
        // Mostly read: unread tags only ever lead to TagsNotRead when the manifest manages tags.
        proptest::option::weighted(0.85, (string_map(&TAG_KEYS), reserved_tags)),
    );
    (scalars, collections).prop_map(
        |(
            (title, description, engagement_type, resolver_type, status, reported, actual),
            (watchers, ips, services, regions, accounts, metadata, tags),
        )| LiveCase {
            case_id: "1234567890".into(),
            case_arn: "arn:aws:security-ir:us-east-1:123456789012:case/1234567890".into(),
            title,
            description,
            status,
            engagement_type,
            resolver_type,
            reported_incident_start_date: reported,
            actual_incident_start_date: actual,
            watchers,
            threat_actor_ip_addresses: ips,
            impacted_services: services,
            impacted_aws_regions: regions,
            impacted_accounts: accounts,
            case_metadata: metadata
                .into_iter()
                .map(|(key, value)| MetadataEntry { key, value })
                .collect(),
            tags: tags.map(|(mut tags, (owned, other))| {
                if owned {
                    tags.insert(OWNERSHIP_TAG_KEY.into(), "payroll-phishing".into());
                }
                if other {
                    tags.insert("sirops:other".into(), "x".into());
                }
                tags
            }),
        },
    )
}

/// `live` with the fields picked by `keep` copied from the manifest, so "almost equal" pairs
/// (the common case in practice) are well covered, including watchers whose only change is their
/// name and emails that differ only in case.
fn copy_parts_of_manifest(desired: &DesiredCase, mut near: LiveCase, keep: &[bool]) -> LiveCase {
    if keep[0] {
        near.title.clone_from(&desired.title);
    }
    if keep[1] {
        near.description.clone_from(&desired.description);
    }
    if keep[2] {
        near.resolver_type = desired.resolver_type;
    }
    if keep[3]
        && let Some(status) = desired.status
    {
        near.status = status;
    }
    if keep[4] {
        near.reported_incident_start_date = Some(desired.reported_incident_start_date);
    }
    if keep[5]
        && let Some(watchers) = &desired.watchers
    {
        near.watchers = watchers
            .iter()
            .map(|w| Watcher {
                email: w.email.to_uppercase(),
                ..w.clone()
            })
            .collect();
        if let Some(first) = near.watchers.first_mut() {
            first.name = Some("Renamed".into());
        }
    }
    if keep[6]
        && let Some(metadata) = &desired.case_metadata
    {
        near.case_metadata = metadata
            .iter()
            .map(|(key, value)| MetadataEntry {
                key: key.clone(),
                value: value.clone(),
            })
            .collect();
    }
    if keep[7] {
        near.engagement_type = desired.engagement_type;
    }
    near
}

/// Indices into a pool a few items larger than `limit`, picking between `limit - 4` and
/// `limit` of them, so two picks mostly overlap and their difference is a few items.
fn near_full(limit: usize) -> impl Strategy<Value = Vec<usize>> {
    subsequence((0..limit + 8).collect::<Vec<_>>(), limit - 4..=limit)
}

/// Every list near its limit, as the manifest and as the live case hold it: some watchers are
/// renamed and some IPs carry a user agent only live, so a key can be deleted and added in one
/// plan while the list is full.
#[derive(Debug, Clone)]
struct CrowdedLists {
    watchers: Vec<usize>,
    ips: Vec<usize>,
    services: Vec<usize>,
    regions: Vec<usize>,
    accounts: Vec<usize>,
}

fn crowded_lists() -> impl Strategy<Value = CrowdedLists> {
    (
        near_full(WATCHERS_LIMIT),
        near_full(THREAT_ACTOR_IPS_LIMIT),
        near_full(IMPACTED_SERVICES_LIMIT),
        near_full(IMPACTED_REGIONS_LIMIT),
        near_full(IMPACTED_ACCOUNTS_LIMIT),
    )
        .prop_map(
            |(watchers, ips, services, regions, accounts)| CrowdedLists {
                watchers,
                ips,
                services,
                regions,
                accounts,
            },
        )
}

fn crowded_watcher(index: usize, live: bool) -> Watcher {
    Watcher {
        email: format!("watcher{index}@example.com"),
        name: (live && index.is_multiple_of(7)).then(|| "Renamed".into()),
        job_title: None,
    }
}

fn crowded_ip(index: usize, live: bool) -> ThreatActorIp {
    ThreatActorIp {
        ip_address: format!("198.51.100.{index}"),
        user_agent: (live && index.is_multiple_of(11)).then(|| "curl/8.4.0".into()),
    }
}

fn crowded_values(indices: &[usize], value: impl Fn(usize) -> String) -> Vec<String> {
    indices.iter().map(|&index| value(index)).collect()
}

fn crowd_desired(desired: &mut DesiredCase, lists: &CrowdedLists) {
    desired.watchers = Some(
        lists
            .watchers
            .iter()
            .map(|&i| crowded_watcher(i, false))
            .collect(),
    );
    desired.threat_actor_ip_addresses =
        Some(lists.ips.iter().map(|&i| crowded_ip(i, false)).collect());
    desired.impacted_services = Some(crowded_values(&lists.services, |i| format!("Service {i}")));
    desired.impacted_aws_regions =
        Some(crowded_values(&lists.regions, |i| format!("xx-region-{i}")));
    desired.impacted_accounts = Some(crowded_values(&lists.accounts, |i| format!("{i:012}")));
}

fn crowd_live(live: &mut LiveCase, lists: &CrowdedLists) {
    live.watchers = lists
        .watchers
        .iter()
        .map(|&i| crowded_watcher(i, true))
        .collect();
    live.threat_actor_ip_addresses = lists.ips.iter().map(|&i| crowded_ip(i, true)).collect();
    live.impacted_services = crowded_values(&lists.services, |i| format!("Service {i}"));
    live.impacted_aws_regions = crowded_values(&lists.regions, |i| format!("xx-region-{i}"));
    live.impacted_accounts = crowded_values(&lists.accounts, |i| format!("{i:012}"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn planned_requests_make_the_live_case_match_with_nothing_redundant(
        desired in desired_case(),
        live in proptest::option::weighted(0.8, live_case()),
    ) {
        check_pair(&desired, live.as_ref())?;
    }

    /// Live derived from the manifest with a few edits (see `copy_parts_of_manifest`).
    #[test]
    fn near_matches_plan_only_the_edits(
        desired in desired_case(),
        live in live_case(),
        keep in proptest::collection::vec(any::<bool>(), 8),
    ) {
        let near = copy_parts_of_manifest(&desired, live, &keep);
        check_pair(&desired, Some(&near))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every list within a few items of its limit on both sides, so replacing some items passes
    /// the limit if the adds go in before the deletes.
    #[test]
    fn lists_near_their_limits_never_pass_them_mid_call(
        mut desired in desired_case(),
        mut live in live_case(),
        wanted in crowded_lists(),
        present in crowded_lists(),
    ) {
        // Only the lists are of interest here: keep the pair clear of refusals and closed cases.
        desired.status = None;
        desired.case_metadata = None;
        live.resolver_type = desired.resolver_type;
        if live.status == CaseStatus::Closed {
            live.status = CaseStatus::DetectionAndAnalysis;
        }
        crowd_desired(&mut desired, &wanted);
        crowd_live(&mut live, &present);
        check_pair(&desired, Some(&live))?;
    }
}
