//! Three-way classification: with the manifest as it was when the case was last applied (the
//! base), every field the plan changes is told apart by who moved it.
//!
//! - `change`: git moved it and the live case is still at the base: the change under review.
//! - `drift`: the live case moved away from the base and git did not: someone edited the case
//!   outside git, and applying reverts that edit.
//! - `conflict`: both moved, to different values: applying overwrites the live edit with git's.
//! - `converged`: both moved to the same value: nothing is sent.
//!
//! "Moved" is judged by the diff itself (a field moved between two versions when the diff of
//! one against the other changes it), so the classification agrees with the plan on what
//! differs, watchers compared by email and lists as sets included.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::fields::{diff_fields, metadata_entries};
use super::tags::diff_tags;
use crate::model::{CaseEdit, DesiredCase, LiveCase, SpecField, is_reserved_tag_key, user_tags};

/// Why a field differs, when the base is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Cause {
    Change,
    Drift,
    Conflict,
    Converged,
}

impl Cause {
    /// The live case moved behind git's back: what a drift check reports.
    pub fn is_drift(self) -> bool {
        matches!(self, Cause::Drift | Cause::Conflict)
    }
}

/// The fields the diff of `desired` against `live` changes. The status counts when the
/// manifest asks for another one; tags only when both sides have them.
pub fn differing_fields(desired: &DesiredCase, live: &LiveCase) -> BTreeSet<SpecField> {
    let mut fields: BTreeSet<SpecField> = diff_fields(desired, live)
        .changes
        .iter()
        .map(|change| change.field)
        .collect();
    if desired.resolver_type != live.resolver_type {
        fields.insert(SpecField::ResolverType);
    }
    if desired.status.is_some_and(|status| status != live.status) {
        fields.insert(SpecField::Status);
    }
    if let (Some(desired_tags), Some(live_tags)) = (&desired.tags, &live.tags)
        && !diff_tags(desired_tags, live_tags).changes.is_empty()
    {
        fields.insert(SpecField::Tags);
    }
    fields
}

/// `live` as it would stand had `base` been applied to it and nothing else happened: the
/// fields `base` manages take its values, the others keep live's.
pub fn as_applied(base: &DesiredCase, live: &LiveCase) -> LiveCase {
    let tags = match (&base.tags, &live.tags) {
        (Some(base_tags), Some(live_tags)) => {
            let mut tags: BTreeMap<String, String> = live_tags
                .iter()
                .filter(|(key, _)| is_reserved_tag_key(key))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect();
            tags.extend(base_tags.clone());
            Some(tags)
        }
        _ => live.tags.clone(),
    };
    LiveCase {
        title: base.title.clone(),
        description: base.description.clone(),
        engagement_type: base.engagement_type,
        resolver_type: base.resolver_type,
        status: base.status.unwrap_or(live.status),
        reported_incident_start_date: Some(base.reported_incident_start_date),
        actual_incident_start_date: base
            .actual_incident_start_date
            .or(live.actual_incident_start_date),
        watchers: managed(&base.watchers, &live.watchers),
        threat_actor_ip_addresses: managed(
            &base.threat_actor_ip_addresses,
            &live.threat_actor_ip_addresses,
        ),
        impacted_services: managed(&base.impacted_services, &live.impacted_services),
        impacted_aws_regions: managed(&base.impacted_aws_regions, &live.impacted_aws_regions),
        impacted_accounts: managed(&base.impacted_accounts, &live.impacted_accounts),
        case_metadata: base
            .case_metadata
            .as_ref()
            .map_or_else(|| live.case_metadata.clone(), metadata_entries),
        tags,
        ..live.clone()
    }
}

/// What `base` says where it manages the value, else what live holds.
fn managed<T: Clone>(base: &Option<T>, live: &T) -> T {
    base.as_ref().unwrap_or(live).clone()
}

/// The cause of every field that differs between `desired` and `live`, and of every field
/// that converged, given the manifest as last applied.
pub fn classify(
    base: &DesiredCase,
    desired: &DesiredCase,
    live: &LiveCase,
) -> BTreeMap<SpecField, Cause> {
    let differs = differing_fields(desired, live);
    let git_moved = differing_fields(desired, &as_applied(base, live));
    let live_moved = differing_fields(base, live);
    let mut causes = BTreeMap::new();
    for field in SpecField::ALL {
        let cause = match (
            differs.contains(&field),
            git_moved.contains(&field),
            live_moved.contains(&field),
        ) {
            (true, _, false) => Cause::Change,
            (true, false, true) => Cause::Drift,
            (true, true, true) => Cause::Conflict,
            (false, true, true) => Cause::Converged,
            (false, _, _) => continue,
        };
        causes.insert(field, cause);
    }
    causes
}

/// Drift a team expects and leaves alone (`ignoreDrift` in `sirops.yaml`, or a manifest's
/// `metadata.ignore`): shown, never reverted, never a failed drift check.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DriftRule {
    /// The fields it covers; all of them when empty.
    pub fields: Vec<SpecField>,
    /// Patterns of the principals whose edits it covers (`*` stands for any run of
    /// characters); anyone's when empty.
    pub principals: Vec<String>,
}

impl DriftRule {
    /// Whether the drift of `field`, explained by `edits`, is expected. A rule that names
    /// principals covers the drift only when every edit that explains it is by one of them: an
    /// edit by anyone else, or no edit to tell who, leaves it to be reverted.
    pub fn covers(&self, field: SpecField, edits: &[CaseEdit]) -> bool {
        if !self.fields.is_empty() && !self.fields.contains(&field) {
            return false;
        }
        if self.principals.is_empty() {
            return true;
        }
        // sirops's own edits applied git: they neither show who drifted the field nor stop a
        // rule from covering what others did.
        let mut by_others = edits.iter().filter(|edit| !edit.by_sirops).peekable();
        by_others.peek().is_some()
            && by_others.all(|edit| {
                self.principals
                    .iter()
                    .any(|pattern| matches_pattern(pattern, &edit.principal))
            })
    }
}

/// `*` matches any run of characters, everything else itself.
pub fn matches_pattern(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(index) => rest = &rest[index + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Sets `field` of `desired` to the live value, so that a plan leaves it as it is live.
pub fn accept_live_value(desired: &mut DesiredCase, field: SpecField, live: &LiveCase) {
    match field {
        SpecField::Title => desired.title.clone_from(&live.title),
        SpecField::Description => desired.description.clone_from(&live.description),
        SpecField::EngagementType => desired.engagement_type = live.engagement_type,
        SpecField::ResolverType => desired.resolver_type = live.resolver_type,
        SpecField::Status => desired.status = Some(live.status),
        SpecField::ReportedIncidentStartDate => {
            if let Some(date) = live.reported_incident_start_date {
                desired.reported_incident_start_date = date;
            }
        }
        SpecField::ActualIncidentStartDate => {
            desired.actual_incident_start_date = live.actual_incident_start_date;
        }
        SpecField::Watchers => desired.watchers = Some(live.watchers.clone()),
        SpecField::ThreatActorIpAddresses => {
            desired.threat_actor_ip_addresses = Some(live.threat_actor_ip_addresses.clone());
        }
        SpecField::ImpactedServices => {
            desired.impacted_services = Some(live.impacted_services.clone());
        }
        SpecField::ImpactedAwsRegions => {
            desired.impacted_aws_regions = Some(live.impacted_aws_regions.clone());
        }
        SpecField::ImpactedAccounts => {
            desired.impacted_accounts = Some(live.impacted_accounts.clone());
        }
        SpecField::CaseMetadata => {
            desired.case_metadata = Some(
                live.case_metadata
                    .iter()
                    .map(|entry| (entry.key.clone(), entry.value.clone()))
                    .collect(),
            );
        }
        SpecField::Tags => desired.tags = live.tags.as_ref().map(user_tags),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CaseStatus, Watcher};
    use crate::plan::fixtures::{desired_case, live_matching};

    fn watcher(email: &str) -> Watcher {
        Watcher {
            email: email.into(),
            name: None,
            job_title: None,
        }
    }

    #[test]
    fn a_git_edit_is_a_change_and_a_live_edit_is_drift() {
        let base = desired_case("payroll");
        let mut live = live_matching(&base, "1234567890");
        let mut desired = base.clone();
        desired.title = "Renamed in git".into();
        live.description = "Edited in the console".into();
        let causes = classify(&base, &desired, &live);
        assert_eq!(causes.get(&SpecField::Title), Some(&Cause::Change));
        assert_eq!(causes.get(&SpecField::Description), Some(&Cause::Drift));
        assert_eq!(causes.len(), 2, "{causes:?}");
    }

    #[test]
    fn both_moving_is_a_conflict_unless_they_agree() {
        let base = desired_case("payroll");
        let mut live = live_matching(&base, "1234567890");
        let mut desired = base.clone();
        desired.title = "Git's title".into();
        live.title = "The console's title".into();
        desired.description = "Same new text".into();
        live.description = "Same new text".into();
        let causes = classify(&base, &desired, &live);
        assert_eq!(causes.get(&SpecField::Title), Some(&Cause::Conflict));
        assert_eq!(causes.get(&SpecField::Description), Some(&Cause::Converged));
    }

    #[test]
    fn list_edits_are_judged_as_the_diff_judges_them() {
        let mut base = desired_case("payroll");
        base.watchers = Some(vec![watcher("ann@example.com")]);
        let mut live = live_matching(&base, "1234567890");
        // The same person in other capitals is not an edit.
        live.watchers = vec![watcher("Ann@Example.com")];
        assert!(classify(&base, &base, &live).is_empty());
        live.watchers.push(watcher("eve@example.com"));
        assert_eq!(
            classify(&base, &base, &live).get(&SpecField::Watchers),
            Some(&Cause::Drift)
        );
    }

    #[test]
    fn a_field_the_base_did_not_manage_is_a_change_when_git_starts_managing_it() {
        let base = desired_case("payroll");
        let live = live_matching(&base, "1234567890");
        let mut desired = base.clone();
        desired.status = Some(CaseStatus::DetectionAndAnalysis);
        desired.impacted_services = Some(vec!["Amazon S3".into()]);
        let causes = classify(&base, &desired, &live);
        assert_eq!(causes.get(&SpecField::Status), Some(&Cause::Change));
        assert_eq!(
            causes.get(&SpecField::ImpactedServices),
            Some(&Cause::Change)
        );
    }

    fn edit_by(principal: &str) -> CaseEdit {
        CaseEdit {
            time: crate::plan::fixtures::date(),
            principal: principal.into(),
            action: "WatchersUpdated".into(),
            message: String::new(),
            by_sirops: false,
        }
    }

    #[test]
    fn patterns_match_whole_principals_with_stars_for_any_run() {
        assert!(matches_pattern("AWS Responder", "AWS Responder"));
        assert!(!matches_pattern("AWS Responder", "AWS Responder 2"));
        assert!(matches_pattern(
            "arn:aws:iam::*:role/Responder*",
            "arn:aws:iam::123456789012:role/ResponderOnCall"
        ));
        assert!(!matches_pattern(
            "arn:aws:iam::*:role/Responder*",
            "arn:aws:iam::123456789012:user/eve"
        ));
        assert!(matches_pattern("*", "anyone"));
        assert!(matches_pattern("a*b*c", "a-b-c"));
        assert!(!matches_pattern("a*b*c", "a-c-b"));
        assert!(!matches_pattern("ab*ba", "aba"));
    }

    #[test]
    fn a_rule_covers_its_fields_and_only_edits_all_by_its_principals() {
        let responders = DriftRule {
            fields: vec![SpecField::Watchers],
            principals: vec!["AWS Responder".into()],
        };
        let by_responder = [edit_by("AWS Responder")];
        let mixed = [edit_by("AWS Responder"), edit_by("arn:aws:iam::1:user/eve")];
        assert!(responders.covers(SpecField::Watchers, &by_responder));
        assert!(!responders.covers(SpecField::Title, &by_responder));
        assert!(!responders.covers(SpecField::Watchers, &mixed));
        assert!(
            !responders.covers(SpecField::Watchers, &[]),
            "nobody to tell who"
        );
        let any_status = DriftRule {
            fields: vec![SpecField::Status],
            principals: vec![],
        };
        assert!(any_status.covers(SpecField::Status, &[]));
        assert!(!any_status.covers(SpecField::Title, &[]));
    }

    #[test]
    fn sirops_own_edits_neither_block_nor_satisfy_a_principal_rule() {
        let responders = DriftRule {
            fields: vec![],
            principals: vec!["AWS Responder".into()],
        };
        let own = CaseEdit {
            by_sirops: true,
            ..edit_by("arn:aws:sts::1:assumed-role/ci/run")
        };
        let with_own = [own.clone(), edit_by("AWS Responder")];
        assert!(responders.covers(SpecField::Watchers, &with_own));
        assert!(!responders.covers(SpecField::Watchers, &[own]));
    }

    #[test]
    fn accepting_the_live_value_leaves_nothing_to_change_in_that_field() {
        let base = desired_case("payroll");
        let mut live = live_matching(&base, "1234567890");
        live.watchers = vec![watcher("eve@example.com")];
        live.title = "Edited".into();
        let mut desired = base.clone();
        desired.watchers = Some(vec![]);
        for field in SpecField::ALL {
            accept_live_value(&mut desired, field, &live);
        }
        assert!(differing_fields(&desired, &live).is_empty());
    }

    /// What a reviewer would say, field by field, from equality alone.
    fn oracle<T: PartialEq>(base: &T, desired: &T, live: &T) -> Option<Cause> {
        match (desired == live, desired == base, live == base) {
            (true, false, false) => Some(Cause::Converged),
            (true, _, _) => None,
            (false, _, true) => Some(Cause::Change),
            (false, true, false) => Some(Cause::Drift),
            (false, false, false) => Some(Cause::Conflict),
        }
    }

    fn text() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::sample::select(vec!["a".to_string(), "b".to_string(), "c".to_string()])
    }

    fn services() -> impl proptest::strategy::Strategy<Value = Vec<String>> {
        proptest::sample::subsequence(
            vec!["Amazon S3".to_string(), "AWS Lambda".to_string()],
            0..=2,
        )
    }

    /// The service's answer to the requests of a plan, for the fields the property varies.
    fn applied(live: &LiveCase, requests: &[crate::request::Request]) -> LiveCase {
        let mut live = live.clone();
        for request in requests {
            if let crate::request::Request::UpdateCase(update) = request {
                if let Some(title) = &update.title {
                    live.title.clone_from(title);
                }
                if let Some(description) = &update.description {
                    live.description.clone_from(description);
                }
                live.impacted_services
                    .extend(update.impacted_services_to_add.iter().cloned());
                live.impacted_services
                    .retain(|service| !update.impacted_services_to_delete.contains(service));
            }
        }
        live
    }

    proptest::proptest! {
        /// Leaving expected drift alone (the live value taken as wanted) and applying the plan
        /// makes the live case the manifest, except for the fields left alone, which keep
        /// their live value.
        #[test]
        fn applying_a_plan_that_leaves_expected_drift_alone_reaches_the_manifest_elsewhere(
            titles in (text(), text(), text()),
            descriptions in (text(), text(), text()),
            services in (services(), services(), services()),
            ignored in proptest::sample::subsequence(
                vec![SpecField::Title, SpecField::Description, SpecField::ImpactedServices],
                0..=3,
            ),
        ) {
            let mut base = desired_case("payroll");
            base.title = titles.0.clone();
            base.description = descriptions.0.clone();
            base.impacted_services = Some(services.0.clone());
            let mut desired = base.clone();
            desired.title = titles.1.clone();
            desired.description = descriptions.1.clone();
            desired.impacted_services = Some(services.1.clone());
            let mut live = live_matching(&base, "1234567890");
            live.title = titles.2.clone();
            live.description = descriptions.2.clone();
            live.impacted_services = services.2.clone();

            let causes = classify(&base, &desired, &live);
            let left_alone: Vec<SpecField> = ignored
                .into_iter()
                .filter(|field| causes.get(field) == Some(&Cause::Drift))
                .collect();
            let mut wanted = desired.clone();
            for &field in &left_alone {
                accept_live_value(&mut wanted, field, &live);
            }
            let delta = crate::diff::diff(&wanted, Some(&live)).unwrap();
            let after = applied(&live, &delta.requests);

            let expect_title = if left_alone.contains(&SpecField::Title) { &live.title } else { &desired.title };
            let expect_description = if left_alone.contains(&SpecField::Description) { &live.description } else { &desired.description };
            let expect_services: BTreeSet<&String> = if left_alone.contains(&SpecField::ImpactedServices) {
                live.impacted_services.iter().collect()
            } else {
                services.1.iter().collect()
            };
            proptest::prop_assert_eq!(&after.title, expect_title);
            proptest::prop_assert_eq!(&after.description, expect_description);
            proptest::prop_assert_eq!(after.impacted_services.iter().collect::<BTreeSet<_>>(), expect_services);
            // Nothing left alone is counted as drift in the new plan.
            let causes_after_leaving = classify(&base, &wanted, &live);
            for field in &left_alone {
                proptest::prop_assert_ne!(causes_after_leaving.get(field), Some(&Cause::Drift));
            }
        }

        #[test]
        fn the_classification_agrees_with_equality_of_the_three_versions(
            titles in (text(), text(), text()),
            descriptions in (text(), text(), text()),
            services in (services(), services(), services()),
        ) {
            let mut base = desired_case("payroll");
            base.impacted_services = Some(services.0.clone());
            base.title = titles.0.clone();
            base.description = descriptions.0.clone();
            let mut desired = base.clone();
            desired.title = titles.1.clone();
            desired.description = descriptions.1.clone();
            desired.impacted_services = Some(services.1.clone());
            let mut live = live_matching(&base, "1234567890");
            live.title = titles.2.clone();
            live.description = descriptions.2.clone();
            live.impacted_services = services.2.clone();

            let causes = classify(&base, &desired, &live);
            let as_set = |items: &Vec<String>| items.iter().cloned().collect::<BTreeSet<_>>();
            proptest::prop_assert_eq!(
                causes.get(&SpecField::Title).copied(),
                oracle(&titles.0, &titles.1, &titles.2)
            );
            proptest::prop_assert_eq!(
                causes.get(&SpecField::Description).copied(),
                oracle(&descriptions.0, &descriptions.1, &descriptions.2)
            );
            proptest::prop_assert_eq!(
                causes.get(&SpecField::ImpactedServices).copied(),
                oracle(&as_set(&services.0), &as_set(&services.1), &as_set(&services.2))
            );
            proptest::prop_assert_eq!(causes.len(), [
                oracle(&titles.0, &titles.1, &titles.2),
                oracle(&descriptions.0, &descriptions.1, &descriptions.2),
                oracle(&as_set(&services.0), &as_set(&services.1), &as_set(&services.2)),
            ].iter().flatten().count());
        }
    }
}
