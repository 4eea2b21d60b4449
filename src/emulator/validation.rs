//! The model's constraints on request members (required, length, pattern, enum, list size),
//! collected per request so that one ValidationException names every bad field. Patterns are
//! the model's own and, as in Smithy, match anywhere in the value (they are not anchored).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::emulator::api_error::{ApiError, FieldProblem};
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
    Regex::new(pattern).expect("the model's patterns are valid regexes")
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

/// Collects the problems of one request.
#[derive(Debug, Default)]
pub(crate) struct Checker {
    problems: Vec<FieldProblem>,
}

impl Checker {
    pub(crate) fn new() -> Self {
        Checker::default()
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

    fn pattern(&mut self, field: &str, value: &str, pattern: &Regex) {
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

    pub(crate) fn watchers(&mut self, field: &str, watchers: &Option<Vec<WatcherInput>>) {
        let Some(watchers) = watchers else { return };
        self.list_size(field, watchers.len(), 0, 30);
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
        let Some(services) = services else { return };
        self.list_size(field, services.len(), 0, 600);
        for (index, service) in services.iter().enumerate() {
            let item = format!("{field}[{index}]");
            self.length(&item, service, 2, 50);
            self.pattern(&item, service, &AWS_SERVICE);
        }
    }

    pub(crate) fn regions(&mut self, field: &str, regions: &Option<Vec<RegionInput>>) {
        let Some(regions) = regions else { return };
        self.list_size(field, regions.len(), 0, 50);
        for (index, region) in regions.iter().enumerate() {
            let item = format!("{field}[{index}].region");
            if let Some(region) = self.required(&item, &region.region) {
                self.one_of(&item, region, &crate::model::AWS_REGIONS);
            }
        }
    }

    pub(crate) fn accounts(&mut self, field: &str, accounts: &Option<Vec<String>>) {
        let Some(accounts) = accounts else { return };
        self.list_size(field, accounts.len(), 0, 200);
        for (index, account) in accounts.iter().enumerate() {
            let item = format!("{field}[{index}]");
            self.length(&item, account, 12, 12);
            self.pattern(&item, account, &ACCOUNT_ID);
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
        }
    }

    pub(crate) fn finish(self) -> Result<(), ApiError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid_fields(self.problems))
        }
    }
}

/// A case id from the URI: ValidationException when malformed, so that only well-formed ids can
/// be "not found".
pub(crate) fn check_case_id(case_id: &str) -> Result<(), ApiError> {
    let mut checker = Checker::new();
    checker.length("caseId", case_id, 10, 32);
    if checker.problems.is_empty() {
        checker.pattern("caseId", case_id, &CASE_ID);
    }
    checker.finish()
}

pub(crate) fn check_resource_arn(arn: &str) -> Result<(), ApiError> {
    let mut checker = Checker::new();
    checker.length("resourceArn", arn, 12, 1010);
    checker.pattern("resourceArn", arn, &RESOURCE_ARN);
    checker.finish()
}

/// `maxResults` of the List operations: 1..25 when given.
pub(crate) fn check_max_results(max_results: Option<i64>) -> Result<usize, ApiError> {
    match max_results {
        None => Ok(25),
        Some(value @ 1..=25) => Ok(value as usize),
        Some(value) => Err(ApiError::invalid_field(
            "maxResults",
            format!("{value} is outside 1..25"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_request_reports_every_bad_field() {
        let mut checker = Checker::new();
        checker.required::<String>("title", &None);
        checker.length("description", "", 1, 8000);
        checker.accounts("impactedAccounts", &Some(vec!["12345".into()]));
        let Err(ApiError::Validation { fields, .. }) = checker.finish() else {
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
        let mut checker = Checker::new();
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
        let Err(ApiError::Validation { fields, .. }) = checker.finish() else {
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
        let mut checker = Checker::new();
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

        let mut checker = Checker::new();
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
        checker.services("services", &Some(vec!["S".into(), "bad!".into()]));
        let Err(ApiError::Validation { fields, .. }) = checker.finish() else {
            panic!("expected a validation error");
        };
        // "bad!" passes: like the service, the pattern only has to match somewhere in the value.
        let names: Vec<_> = fields.iter().map(|field| field.name.as_str()).collect();
        assert_eq!(
            names,
            ["ips[0].ipAddress", "regions[0].region", "services[0]"]
        );
    }

    #[test]
    fn case_ids_arns_and_page_sizes() {
        assert!(check_case_id("1234567890").is_ok());
        assert!(check_case_id("123").is_err());
        assert!(check_case_id("abcdefghijk").is_err());
        assert!(
            check_resource_arn("arn:aws:security-ir:us-east-1:123456789012:case/1234567890")
                .is_ok()
        );
        assert!(check_resource_arn("arn:aws:s3:::bucket").is_err());
        assert_eq!(check_max_results(None).ok(), Some(25));
        assert_eq!(check_max_results(Some(1)).ok(), Some(1));
        assert!(check_max_results(Some(0)).is_err());
        assert!(check_max_results(Some(26)).is_err());
    }
}
