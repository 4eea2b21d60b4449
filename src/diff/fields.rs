//! The field deltas an existing case needs, which all travel in UpdateCase: scalars, the
//! add/delete lists and caseMetadata. Kept apart from the request ordering in `diff` so the
//! rules of managed and unmanaged fields (`docs/reference.md`) read in one place.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{ChangeKind, FieldChange};
use crate::model::{
    DesiredCase, LiveCase, MetadataEntry, SpecField, ThreatActorIp, Watcher, limits,
};
use crate::request::{ImpactedAwsRegion, UpdateCaseInput};

/// What UpdateCase must carry, before the case id is known.
#[derive(Debug, Default)]
pub(crate) struct FieldDelta {
    /// Every field delta but the deferred adds; its `case_id` is left for the caller.
    pub(crate) update: UpdateCaseInput,
    /// Adds that may only be sent once `update` has been applied: nothing but `...ToAdd` lists.
    /// The API does not say in which order one call applies its ToAdd and ToDelete lists, so
    /// an add that shares its key with a delete of the same call might be deleted again, and a
    /// list whose adds go in first might pass its limit before its deletes make room.
    pub(crate) deferred_adds: UpdateCaseInput,
    pub(crate) changes: Vec<FieldChange>,
}

pub(crate) fn diff_fields(desired: &DesiredCase, live: &LiveCase) -> FieldDelta {
    let mut delta = FieldDelta::default();
    diff_scalars(desired, live, &mut delta);
    if let Some(watchers) = &desired.watchers {
        diff_watchers(watchers, &live.watchers, &mut delta);
    }
    if let Some(ips) = &desired.threat_actor_ip_addresses {
        let (add, delete) = diff_items(
            SpecField::ThreatActorIpAddresses,
            ips,
            &live.threat_actor_ip_addresses,
            &mut delta.changes,
        );
        delta.update.threat_actor_ip_addresses_to_add = add;
        delta.update.threat_actor_ip_addresses_to_delete = delete;
    }
    if let Some(services) = &desired.impacted_services {
        let (add, delete) = diff_items(
            SpecField::ImpactedServices,
            services,
            &live.impacted_services,
            &mut delta.changes,
        );
        delta.update.impacted_services_to_add = add;
        delta.update.impacted_services_to_delete = delete;
    }
    if let Some(regions) = &desired.impacted_aws_regions {
        // Shown as the manifest spells a region (a plain string), sent wrapped as the API wants.
        let (add, delete) = diff_items(
            SpecField::ImpactedAwsRegions,
            regions,
            &live.impacted_aws_regions,
            &mut delta.changes,
        );
        delta.update.impacted_aws_regions_to_add = wrap_regions(add);
        delta.update.impacted_aws_regions_to_delete = wrap_regions(delete);
    }
    if let Some(accounts) = &desired.impacted_accounts {
        let (add, delete) = diff_items(
            SpecField::ImpactedAccounts,
            accounts,
            &live.impacted_accounts,
            &mut delta.changes,
        );
        delta.update.impacted_accounts_to_add = add;
        delta.update.impacted_accounts_to_delete = delete;
    }
    if let Some(metadata) = &desired.case_metadata {
        diff_case_metadata(metadata, &live.case_metadata, &mut delta);
    }
    delta.deferred_adds = take_deferred_adds(&mut delta.update, live);
    delta
}

/// Moves out of `update` every add the strictest reading of the API would have it refuse or
/// undo: per list, all adds when the live items plus the adds pass the list's limit, otherwise
/// the adds whose key a delete of the same call also names. A threat-actor IP's key is its
/// ipAddress alone, in case the service matches a delete by the address and drops the new
/// user agent with the old one.
fn take_deferred_adds(update: &mut UpdateCaseInput, live: &LiveCase) -> UpdateCaseInput {
    UpdateCaseInput {
        watchers_to_add: take_adds_that_must_wait(
            &mut update.watchers_to_add,
            &update.watchers_to_delete,
            live.watchers.len(),
            limits::WATCHERS_MAX,
            Watcher::identity,
        ),
        threat_actor_ip_addresses_to_add: take_adds_that_must_wait(
            &mut update.threat_actor_ip_addresses_to_add,
            &update.threat_actor_ip_addresses_to_delete,
            live.threat_actor_ip_addresses.len(),
            limits::THREAT_ACTOR_IPS_MAX,
            |ip: &ThreatActorIp| ip.ip_address.clone(),
        ),
        impacted_services_to_add: take_adds_that_must_wait(
            &mut update.impacted_services_to_add,
            &update.impacted_services_to_delete,
            live.impacted_services.len(),
            limits::IMPACTED_SERVICES_MAX,
            String::clone,
        ),
        impacted_aws_regions_to_add: take_adds_that_must_wait(
            &mut update.impacted_aws_regions_to_add,
            &update.impacted_aws_regions_to_delete,
            live.impacted_aws_regions.len(),
            limits::IMPACTED_REGIONS_MAX,
            ImpactedAwsRegion::clone,
        ),
        impacted_accounts_to_add: take_adds_that_must_wait(
            &mut update.impacted_accounts_to_add,
            &update.impacted_accounts_to_delete,
            live.impacted_accounts.len(),
            limits::IMPACTED_ACCOUNTS_MAX,
            String::clone,
        ),
        ..UpdateCaseInput::default()
    }
}

fn take_adds_that_must_wait<T, K: Ord>(
    to_add: &mut Vec<T>,
    to_delete: &[T],
    live_count: usize,
    limit: usize,
    key: impl Fn(&T) -> K,
) -> Vec<T> {
    if live_count + to_add.len() > limit {
        return std::mem::take(to_add);
    }
    let deleted_keys: BTreeSet<K> = to_delete.iter().map(&key).collect();
    let (must_wait, can_go_now) = std::mem::take(to_add)
        .into_iter()
        .partition(|item| deleted_keys.contains(&key(item)));
    *to_add = can_go_now;
    must_wait
}

fn diff_scalars(desired: &DesiredCase, live: &LiveCase, delta: &mut FieldDelta) {
    let update = &mut delta.update;
    let changes = &mut delta.changes;
    if desired.title != live.title {
        update.title = Some(desired.title.clone());
        changes.push(modify(SpecField::Title, &live.title, &desired.title));
    }
    if desired.description != live.description {
        update.description = Some(desired.description.clone());
        changes.push(modify(
            SpecField::Description,
            &live.description,
            &desired.description,
        ));
    }
    if desired.engagement_type != live.engagement_type {
        update.engagement_type = Some(desired.engagement_type);
        changes.push(modify(
            SpecField::EngagementType,
            &live.engagement_type,
            &desired.engagement_type,
        ));
    }
    let reported = desired.reported_incident_start_date;
    if live.reported_incident_start_date != Some(reported) {
        update.reported_incident_start_date = Some(reported);
        changes.push(set_scalar(
            SpecField::ReportedIncidentStartDate,
            live.reported_incident_start_date,
            reported,
        ));
    }
    if let Some(actual) = desired.actual_incident_start_date
        && live.actual_incident_start_date != Some(actual)
    {
        update.actual_incident_start_date = Some(actual);
        changes.push(set_scalar(
            SpecField::ActualIncidentStartDate,
            live.actual_incident_start_date,
            actual,
        ));
    }
}

/// Watchers are the same person when their emails match ignoring case. One whose email matches
/// and whose name and jobTitle are equal is unchanged even if the email's case differs: the
/// service treats it as the same address, and re-adding it would change nothing a reader sees.
fn diff_watchers(desired: &[Watcher], live: &[Watcher], delta: &mut FieldDelta) {
    let mut live_by_identity: BTreeMap<String, Vec<&Watcher>> = BTreeMap::new();
    for watcher in live {
        live_by_identity
            .entry(watcher.identity())
            .or_default()
            .push(watcher);
    }
    let desired_by_identity: BTreeMap<String, &Watcher> =
        desired.iter().map(|w| (w.identity(), w)).collect();

    let identities: BTreeSet<&String> = live_by_identity
        .keys()
        .chain(desired_by_identity.keys())
        .collect();
    for identity in identities {
        let live_items = live_by_identity
            .get(identity)
            .map(Vec::as_slice)
            .unwrap_or_default();
        match (desired_by_identity.get(identity), live_items) {
            (None, _) => {
                // The live item goes back as is, so its own spelling of the email is deleted.
                for &gone in live_items {
                    delta.update.watchers_to_delete.push(gone.clone());
                    delta
                        .changes
                        .push(item_change(SpecField::Watchers, Some(gone), None));
                }
            }
            (Some(&wanted), []) => {
                delta.update.watchers_to_add.push(wanted.clone());
                delta
                    .changes
                    .push(item_change(SpecField::Watchers, None, Some(wanted)));
            }
            (Some(&wanted), [only]) if is_same_person_detail(only, wanted) => {}
            (Some(&wanted), [first, extra @ ..]) => {
                // Also covers a live list holding one address twice in different cases, which
                // the service should not allow: delete every copy, then add the wanted one.
                delta.update.watchers_to_delete.push((*first).clone());
                delta
                    .changes
                    .push(item_change(SpecField::Watchers, Some(*first), Some(wanted)));
                for &gone in extra {
                    delta.update.watchers_to_delete.push(gone.clone());
                    delta
                        .changes
                        .push(item_change(SpecField::Watchers, Some(gone), None));
                }
                delta.update.watchers_to_add.push(wanted.clone());
            }
        }
    }
}

fn is_same_person_detail(live: &Watcher, desired: &Watcher) -> bool {
    live.name == desired.name && live.job_title == desired.job_title
}

/// Lists whose identity is the whole item: add what only the manifest has, delete what only the
/// live case has, each once, sorted so the same inputs always give the same plan.
fn diff_items<T: Ord + Clone + Serialize>(
    field: SpecField,
    desired: &[T],
    live: &[T],
    changes: &mut Vec<FieldChange>,
) -> (Vec<T>, Vec<T>) {
    let desired: BTreeSet<&T> = desired.iter().collect();
    let live: BTreeSet<&T> = live.iter().collect();
    let mut to_add = Vec::new();
    let mut to_delete = Vec::new();
    for item in desired.union(&live) {
        match (desired.contains(item), live.contains(item)) {
            (true, false) => {
                to_add.push((*item).clone());
                changes.push(item_change(field, None, Some(*item)));
            }
            (false, true) => {
                to_delete.push((*item).clone());
                changes.push(item_change(field, Some(*item), None));
            }
            _ => {}
        }
    }
    (to_add, to_delete)
}

fn wrap_regions(regions: Vec<String>) -> Vec<ImpactedAwsRegion> {
    regions
        .into_iter()
        .map(|region| ImpactedAwsRegion { region })
        .collect()
}

/// caseMetadata has no add/delete in the API, so it is compared as a map and replaced whole.
/// A live list that repeats a key cannot equal any map, so it is replaced too.
fn diff_case_metadata(
    desired: &BTreeMap<String, String>,
    live: &[MetadataEntry],
    delta: &mut FieldDelta,
) {
    let live_map: BTreeMap<String, String> = live
        .iter()
        .map(|entry| (entry.key.clone(), entry.value.clone()))
        .collect();
    if *desired == live_map && live_map.len() == live.len() {
        return;
    }
    delta.update.case_metadata = Some(metadata_entries(desired));
    delta
        .changes
        .push(modify(SpecField::CaseMetadata, &live_map, desired));
}

/// The API's list form of a metadata map, sorted by key (a BTreeMap iterates in key order).
pub(crate) fn metadata_entries(metadata: &BTreeMap<String, String>) -> Vec<MetadataEntry> {
    metadata
        .iter()
        .map(|(key, value)| MetadataEntry {
            key: key.clone(),
            value: value.clone(),
        })
        .collect()
}

pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("model values always serialise")
}

pub(crate) fn modify<T: Serialize + ?Sized>(
    field: SpecField,
    before: &T,
    after: &T,
) -> FieldChange {
    FieldChange {
        field,
        kind: ChangeKind::Modify,
        before: Some(to_json(before)),
        after: Some(to_json(after)),
        cause: None,
        edits: Vec::new(),
    }
}

/// A scalar the live case may not have yet: setting it for the first time is an Add.
fn set_scalar<T: Serialize>(field: SpecField, before: Option<T>, after: T) -> FieldChange {
    match before {
        Some(before) => modify(field, &before, &after),
        None => item_change(field, None, Some(&after)),
    }
}

pub(crate) fn item_change<T: Serialize + ?Sized>(
    field: SpecField,
    before: Option<&T>,
    after: Option<&T>,
) -> FieldChange {
    let kind = match (before, after) {
        (None, _) => ChangeKind::Add,
        (Some(_), None) => ChangeKind::Remove,
        (Some(_), Some(_)) => ChangeKind::Modify,
    };
    FieldChange {
        field,
        kind,
        before: before.map(to_json),
        after: after.map(to_json),
        cause: None,
        edits: Vec::new(),
    }
}
