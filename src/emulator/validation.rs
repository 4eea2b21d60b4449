//! The model's constraints on request members (required, length, pattern, enum, list size,
//! unique items), collected per request, path members and body alike, so that one
//! ValidationException names every bad field.
//!
//! The constraints are written here from the API model on purpose, apart from the limits the
//! manifest validator uses: the emulator stands for the service, and a shared table would let a
//! mistake in it pass both sides unnoticed. Patterns match the whole value: the published
//! model anchors them (`^...$`), and its JSON form only drops the anchors and pads open ends
//! with `.*`.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::emulator::service_error::{FieldProblem, ServiceError};
use crate::emulator::wire::{MetadataEntryInput, RegionInput, ThreatActorIpInput, WatcherInput};

pub(crate) const RESOLVER_TYPES: [&str; 2] = ["AWS", "Self"];
pub(crate) const ENGAGEMENT_TYPES: [&str; 2] = ["Security Incident", "Investigation"];
pub(crate) const SELF_MANAGED_STATUSES: [&str; 4] = [
    "Submitted",
    "Detection and Analysis",
    "Containment, Eradication and Recovery",
    "Post-incident Activities",
];

fn model_pattern(pattern: &str) -> Regex {
    Regex::new(&format!("^(?:{pattern})$")).expect("the model's patterns are valid regexes")
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    model_pattern(r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*")
});
static IP_ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    model_pattern(
        r"(?:(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?))|(?:(?:[A-F0-9]{1,4}:){7}[A-F0-9]{1,4})|(?:(?:[A-F0-9]{1,4}:){6}(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?))",
    )
});
static AWS_SERVICE: LazyLock<Regex> = LazyLock::new(|| model_pattern(r"[a-zA-Z0-9 -.():]+"));
static ACCOUNT_ID: LazyLock<Regex> = LazyLock::new(|| model_pattern(r"[0-9]{12}"));
static CASE_ID: LazyLock<Regex> = LazyLock::new(|| model_pattern(r"\d{10,32}.*"));
static RESOURCE_ARN: LazyLock<Regex> = LazyLock::new(|| {
    model_pattern(
        r"arn:aws:security-ir:\w+?-\w+?-\d+:[0-9]{12}:(membership/m-[a-z0-9]{10,32}|case/[0-9]{10})",
    )
});
static COMMENT_ID: LazyLock<Regex> = LazyLock::new(|| model_pattern(r"\d{6}"));
static ATTACHMENT_ID: LazyLock<Regex> = LazyLock::new(|| {
    model_pattern(
        r"[0-9a-fA-F]{8}\b-[0-9a-fA-F]{4}\b-[0-9a-fA-F]{4}\b-[0-9a-fA-F]{4}\b-[0-9a-fA-F]{12}",
    )
});
static FILE_NAME: LazyLock<Regex> = LazyLock::new(|| model_pattern(r"[a-zA-Z0-9._-]+"));
static MEMBERSHIP_ID: LazyLock<Regex> = LazyLock::new(|| model_pattern(r"m-[a-z0-9]{10,32}"));

/// Collects the problems of one request.
#[derive(Debug, Default)]
pub(crate) struct RequestChecker {
    problems: Vec<FieldProblem>,
}

impl RequestChecker {
    pub(crate) fn new() -> Self {
        RequestChecker::default()
    }

    pub(crate) fn problem(&mut self, field: &str, message: impl Into<String>) {
        self.problems.push(FieldProblem::new(field, message));
    }

    /// Records a missing required member; returns the value when present.
    pub(crate) fn required<'a, T>(&mut self, field: &str, value: &'a Option<T>) -> Option<&'a T> {
        if value.is_none() {
            self.problem(field, "is required");
        }
        value.as_ref()
    }

    pub(crate) fn length(&mut self, field: &str, value: &str, min: usize, max: usize) {
        let length = value.chars().count();
        if length < min || length > max {
            self.problem(
                field,
                format!("length {length} is outside {min}..{max} characters"),
            );
        }
    }

    pub(crate) fn pattern(&mut self, field: &str, value: &str, pattern: &Regex) {
        if !pattern.is_match(value) {
            self.problem(
                field,
                format!("must match the pattern {}", pattern.as_str()),
            );
        }
    }

    pub(crate) fn one_of(&mut self, field: &str, value: &str, allowed: &[&str]) {
        if !allowed.contains(&value) {
            self.problem(
                field,
                format!("{value:?} is not one of: {}", allowed.join(", ")),
            );
        }
    }

    pub(crate) fn list_size(&mut self, field: &str, size: usize, min: usize, max: usize) {
        if size < min || size > max {
            self.problem(
                field,
                format!("has {size} items; it must have {min}..{max}"),
            );
        }
    }

    pub(crate) fn optional_text(
        &mut self,
        field: &str,
        value: &Option<String>,
        min: usize,
        max: usize,
    ) {
        if let Some(value) = value {
            self.length(field, value, min, max);
        }
    }

    pub(crate) fn timestamp(&mut self, field: &str, value: Option<f64>) {
        if let Some(seconds) = value
            && !seconds.is_finite()
        {
            self.problem(field, "is not a valid timestamp");
        }
    }

    /// Lists the model marks `@uniqueItems` refuse an item given twice in one request; `key`
    /// says when two items are the same (a watcher is its email, in any case).
    fn unique<T, K: PartialEq>(
        &mut self,
        field: &str,
        items: &[T],
        key: impl Fn(&T) -> K,
        describe: impl Fn(&T) -> String,
    ) {
        let keys: Vec<K> = items.iter().map(key).collect();
        for (index, item) in items.iter().enumerate() {
            if keys[..index].contains(&keys[index]) {
                self.problem(
                    &format!("{field}[{index}]"),
                    format!("{} is in the list twice; list it once", describe(item)),
                );
            }
        }
    }

    pub(crate) fn watchers(&mut self, field: &str, watchers: &Option<Vec<WatcherInput>>) {
        let Some(watchers) = watchers else { return };
        self.list_size(field, watchers.len(), 0, 30);
        self.unique(
            field,
            watchers,
            |watcher| watcher.email.as_deref().map(str::to_lowercase),
            |_| "a watcher with this email".to_string(),
        );
        for (index, watcher) in watchers.iter().enumerate() {
            let item = format!("{field}[{index}]");
            if let Some(email) = self.required(&format!("{item}.email"), &watcher.email) {
                self.length(&format!("{item}.email"), email, 6, 254);
                self.pattern(&format!("{item}.email"), email, &EMAIL);
            }
            self.optional_text(&format!("{item}.name"), &watcher.name, 1, 50);
            self.optional_text(&format!("{item}.jobTitle"), &watcher.job_title, 1, 50);
        }
    }

    pub(crate) fn threat_actor_ips(&mut self, field: &str, ips: &Option<Vec<ThreatActorIpInput>>) {
        let Some(ips) = ips else { return };
        self.list_size(field, ips.len(), 0, 200);
        for (index, ip) in ips.iter().enumerate() {
            let item = format!("{field}[{index}]");
            if let Some(address) = self.required(&format!("{item}.ipAddress"), &ip.ip_address) {
                self.pattern(&format!("{item}.ipAddress"), address, &IP_ADDRESS);
            }
            self.optional_text(&format!("{item}.userAgent"), &ip.user_agent, 1, 500);
        }
    }

    pub(crate) fn services(&mut self, field: &str, services: &Option<Vec<String>>) {
        self.unique_strings(field, services, 600, ((2, 50), &AWS_SERVICE));
    }

    pub(crate) fn regions(&mut self, field: &str, regions: &Option<Vec<RegionInput>>) {
        let Some(regions) = regions else { return };
        self.list_size(field, regions.len(), 0, 50);
        self.unique(
            field,
            regions,
            |region| region.region.clone(),
            |region| format!("{:?}", region.region),
        );
        for (index, region) in regions.iter().enumerate() {
            let item = format!("{field}[{index}].region");
            if let Some(region) = self.required(&item, &region.region) {
                self.one_of(&item, region, &crate::model::AWS_REGIONS);
            }
        }
    }

    pub(crate) fn accounts(&mut self, field: &str, accounts: &Option<Vec<String>>) {
        self.unique_strings(field, accounts, 200, ((12, 12), &ACCOUNT_ID));
    }

    /// A list of at most `max` distinct strings, each `min_length..=max_length` characters long
    /// and matching `pattern`.
    fn unique_strings(
        &mut self,
        field: &str,
        values: &Option<Vec<String>>,
        max: usize,
        ((min_length, max_length), pattern): ((usize, usize), &Regex),
    ) {
        let Some(values) = values else { return };
        self.list_size(field, values.len(), 0, max);
        self.unique(field, values, String::clone, |value| format!("{value:?}"));
        for (index, value) in values.iter().enumerate() {
            let item = format!("{field}[{index}]");
            self.length(&item, value, min_length, max_length);
            self.pattern(&item, value, pattern);
        }
    }

    pub(crate) fn case_metadata(&mut self, field: &str, entries: &Option<Vec<MetadataEntryInput>>) {
        let Some(entries) = entries else { return };
        self.list_size(field, entries.len(), 1, 30);
        for (index, entry) in entries.iter().enumerate() {
            let item = format!("{field}[{index}]");
            if let Some(key) = self.required(&format!("{item}.key"), &entry.key) {
                self.length(&format!("{item}.key"), key, 1, 500);
            }
            if let Some(value) = self.required(&format!("{item}.value"), &entry.value) {
                self.length(&format!("{item}.value"), value, 1, 2000);
            }
        }
    }

    pub(crate) fn tags(&mut self, field: &str, tags: &Option<BTreeMap<String, String>>) {
        let Some(tags) = tags else { return };
        self.list_size(field, tags.len(), 0, 200);
        for (key, value) in tags {
            self.length(&format!("{field}.key"), key, 1, 128);
            self.length(&format!("{field}[{key}]"), value, 0, 256);
            if key
                .get(..4)
                .is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws:"))
            {
                self.problem(
                    &format!("{field}.key"),
                    format!("{key:?} starts with aws:, which is reserved for AWS"),
                );
            }
        }
    }

    pub(crate) fn finish(self) -> Result<(), ServiceError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::invalid_fields(self.problems))
        }
    }
}

/// Path members and paging members, checked in the same `RequestChecker` as the body so that one
/// ValidationException names them all.
impl RequestChecker {
    /// A case id from the URI: malformed is a ValidationException, so that only well-formed
    /// ids can be "not found".
    pub(crate) fn case_id(&mut self, case_id: &str) {
        self.length("caseId", case_id, 10, 32);
        self.pattern("caseId", case_id, &CASE_ID);
    }

    pub(crate) fn resource_arn(&mut self, arn: &str) {
        self.length("resourceArn", arn, 12, 1010);
        self.pattern("resourceArn", arn, &RESOURCE_ARN);
    }

    pub(crate) fn comment_id(&mut self, comment_id: &str) {
        self.length("commentId", comment_id, 6, 6);
        self.pattern("commentId", comment_id, &COMMENT_ID);
    }

    pub(crate) fn attachment_id(&mut self, attachment_id: &str) {
        self.pattern("attachmentId", attachment_id, &ATTACHMENT_ID);
    }

    pub(crate) fn membership_id(&mut self, membership_id: &str) {
        self.length("membershipId", membership_id, 12, 34);
        self.pattern("membershipId", membership_id, &MEMBERSHIP_ID);
    }

    pub(crate) fn file_name(&mut self, field: &str, file_name: &str) {
        self.length(field, file_name, 1, 255);
        self.pattern(field, file_name, &FILE_NAME);
    }

    /// `nextToken` (0..2000 characters) and `maxResults` (1..25) of the List operations; the
    /// page size to use.
    pub(crate) fn page(&mut self, next_token: &Option<String>, max_results: Option<i64>) -> usize {
        self.optional_text("nextToken", next_token, 0, 2000);
        match max_results {
            None => 25,
            Some(value @ 1..=25) => value as usize,
            Some(value) => {
                self.problem("maxResults", format!("{value} is outside 1..25"));
                25
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_request_reports_every_bad_field() {
        let mut checker = RequestChecker::new();
        checker.required::<String>("title", &None);
        checker.length("description", "", 1, 8000);
        checker.accounts("impactedAccounts", &Some(vec!["12345".into()]));
        let Err(ServiceError::Validation { fields, .. }) = checker.finish() else {
            panic!("expected a validation error");
        };
        let names: Vec<_> = fields.iter().map(|field| field.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "title",
                "description",
                "impactedAccounts[0]",
                "impactedAccounts[0]"
            ]
        );
    }

    #[test]
    fn watchers_need_a_valid_email_and_short_names() {
        let mut checker = RequestChecker::new();
        let watchers = vec![
            WatcherInput {
                email: Some("alice@example.com".into()),
                name: Some("Alice".into()),
                job_title: None,
            },
            WatcherInput {
                email: Some("not-an-email".into()),
                name: Some("x".repeat(51)),
                job_title: None,
            },
            WatcherInput::default(),
        ];
        checker.watchers("watchers", &Some(watchers));
        let Err(ServiceError::Validation { fields, .. }) = checker.finish() else {
            panic!("expected a validation error");
        };
        let names: Vec<_> = fields.iter().map(|field| field.name.as_str()).collect();
        assert_eq!(
            names,
            ["watchers[1].email", "watchers[1].name", "watchers[2].email"]
        );
    }

    #[test]
    fn ip_addresses_regions_and_services_follow_the_model() {
        let mut checker = RequestChecker::new();
        checker.threat_actor_ips(
            "ips",
            &Some(vec![
                ThreatActorIpInput {
                    ip_address: Some("198.51.100.7".into()),
                    user_agent: None,
                },
                ThreatActorIpInput {
                    ip_address: Some("2001:0DB8:0000:0000:0000:0000:0000:0001".into()),
                    user_agent: None,
                },
            ]),
        );
        checker.regions(
            "regions",
            &Some(vec![RegionInput {
                region: Some("eu-west-1".into()),
            }]),
        );
        checker.services("services", &Some(vec!["Amazon S3".into()]));
        assert!(checker.finish().is_ok());

        let mut checker = RequestChecker::new();
        checker.threat_actor_ips(
            "ips",
            &Some(vec![ThreatActorIpInput {
                ip_address: Some("localhost".into()),
                user_agent: None,
            }]),
        );
        checker.regions(
            "regions",
            &Some(vec![RegionInput {
                region: Some("mars-north-1".into()),
            }]),
        );
        checker.services("services", &Some(vec!["S".into(), "EC2_instance".into()]));
        let Err(ServiceError::Validation { fields, .. }) = checker.finish() else {
            panic!("expected a validation error");
        };
        // The pattern must match the whole value, as the service's anchored pattern does.
        let names: Vec<_> = fields.iter().map(|field| field.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "ips[0].ipAddress",
                "regions[0].region",
                "services[0]",
                "services[1]"
            ]
        );
    }

    fn problems(check: impl FnOnce(&mut RequestChecker)) -> Vec<String> {
        let mut checker = RequestChecker::new();
        check(&mut checker);
        checker
            .problems
            .iter()
            .map(|problem| problem.name.clone())
            .collect()
    }

    #[test]
    fn case_ids_arns_and_pages() {
        assert!(problems(|c| c.case_id("1234567890")).is_empty());
        assert!(problems(|c| c.case_id("1234567890-suffix")).is_empty());
        assert_eq!(problems(|c| c.case_id("123")), ["caseId", "caseId"]);
        assert_eq!(problems(|c| c.case_id("abcdefghijk")), ["caseId"]);
        assert!(
            problems(
                |c| c.resource_arn("arn:aws:security-ir:us-east-1:123456789012:case/1234567890")
            )
            .is_empty()
        );
        assert_eq!(
            problems(|c| c
                .resource_arn("arn:aws:security-ir:us-east-1:123456789012:case/1234567890/extra")),
            ["resourceArn"],
            "whole-value pattern"
        );
        let mut checker = RequestChecker::new();
        assert_eq!(checker.page(&None, None), 25);
        assert_eq!(checker.page(&Some("t".into()), Some(1)), 1);
        assert!(checker.problems.is_empty());
        assert_eq!(
            problems(|c| {
                c.page(&Some("t".repeat(2001)), Some(26));
            }),
            ["nextToken", "maxResults"]
        );
    }

    #[test]
    fn whole_values_only() {
        let emails = |email: &str| {
            problems(|c| {
                c.watchers(
                    "watchers",
                    &Some(vec![WatcherInput {
                        email: Some(email.into()),
                        ..WatcherInput::default()
                    }]),
                );
            })
        };
        assert!(emails("alice@example.com").is_empty());
        assert_eq!(emails("Alice <a@x.com>"), ["watchers[0].email"]);
        let ip = |address: &str| {
            problems(|c| {
                c.threat_actor_ips(
                    "ips",
                    &Some(vec![ThreatActorIpInput {
                        ip_address: Some(address.into()),
                        user_agent: None,
                    }]),
                );
            })
        };
        assert!(ip("198.51.100.7").is_empty());
        assert_eq!(ip("300.1.1.1"), ["ips[0].ipAddress"]);
        assert_eq!(ip("1.2.3.4.5"), ["ips[0].ipAddress"]);
    }

    #[test]
    fn unique_lists_refuse_an_item_given_twice() {
        assert_eq!(
            problems(|c| c.services(
                "impactedServices",
                &Some(vec![
                    "Amazon S3".into(),
                    "AWS IAM".into(),
                    "Amazon S3".into()
                ])
            )),
            ["impactedServices[2]"]
        );
        assert_eq!(
            problems(|c| c.accounts(
                "impactedAccounts",
                &Some(vec!["123456789012".into(), "123456789012".into()])
            )),
            ["impactedAccounts[1]"]
        );
        let region = |name: &str| RegionInput {
            region: Some(name.into()),
        };
        assert_eq!(
            problems(|c| c.regions(
                "regions",
                &Some(vec![region("us-east-1"), region("us-east-1")])
            )),
            ["regions[1]"]
        );
        let watcher = WatcherInput {
            email: Some("alice@example.com".into()),
            ..WatcherInput::default()
        };
        assert_eq!(
            problems(|c| c.watchers("watchers", &Some(vec![watcher.clone(), watcher]))),
            ["watchers[1]"]
        );
        // Threat-actor IPs are not a unique list in the model.
        let ip = ThreatActorIpInput {
            ip_address: Some("198.51.100.7".into()),
            user_agent: None,
        };
        assert!(problems(|c| c.threat_actor_ips("ips", &Some(vec![ip.clone(), ip]))).is_empty());
    }
}
