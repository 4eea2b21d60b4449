//! The manifest rules (`docs/reference.md`, "Manifests") applied to one document: what each field may hold (the API's
//! limits, patterns and enums), how values are normalised (status alias, zero-padded accounts),
//! and which combinations are refused (a status an AWS-supported case cannot be asked for).
//! Rules that span documents (unique names and case ids) live in `collect`.

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv6Addr;
use std::str::FromStr;
use std::sync::LazyLock;

use regex::Regex;

use super::diagnostic::{quoted, shortened};
use super::suggest;
use super::walk::{Checker, Problem, is_plain_number};
use super::yaml::{Node, Position};
use crate::model::{
    AWS_REGIONS, AWS_TAG_PREFIX, CaseStatus, DesiredCase, EngagementType, OWNERSHIP_TAG_KEY,
    RESERVED_TAG_PREFIX, REVISION_TAG_KEY, ResolverType, SCOPE_TAG_KEY, SpecField, ThreatActorIp,
    Timestamp, Watcher, is_reserved_tag_key, limits, patterns,
};

pub(crate) const API_VERSION: &str = "sirops/v1";
pub(crate) const KIND: &str = "Case";

/// The docs' spelling of the API's "Containment, Eradication and Recovery".
pub(crate) const STATUS_ALIAS: &str = "Containment, Eradication, and Recovery";

const TOP_FIELDS: [&str; 4] = ["apiVersion", "kind", "metadata", "spec"];
const METADATA_FIELDS: [&str; 4] = ["name", "caseId", "previousNames", "ignore"];
const WATCHER_FIELDS: [&str; 3] = ["email", "name", "jobTitle"];
const THREAT_ACTOR_IP_FIELDS: [&str; 2] = ["ipAddress", "userAgent"];

/// Anchors an API pattern: the API's are unanchored, and a value that merely contains an email
/// is not an email.
pub(crate) fn anchored(pattern: &str) -> String {
    format!("^(?:{pattern})$")
}

fn compile(pattern: &str) -> Regex {
    // The patterns are constants of the API model, covered by the tests below.
    Regex::new(&anchored(pattern)).expect("API pattern compiles")
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| compile(patterns::EMAIL));
static IP_ADDRESS: LazyLock<Regex> = LazyLock::new(|| compile(patterns::IP_ADDRESS));
static AWS_SERVICE: LazyLock<Regex> = LazyLock::new(|| compile(patterns::AWS_SERVICE));
static CASE_ID: LazyLock<Regex> = LazyLock::new(|| compile(patterns::CASE_ID));
static MANIFEST_NAME: LazyLock<Regex> = LazyLock::new(|| compile(patterns::MANIFEST_NAME));

/// Whether `name` may be a `metadata.name`: it also names the manifest's file when `import`
/// writes one, so nothing else may get that far.
pub fn is_valid_manifest_name(name: &str) -> bool {
    name.len() <= limits::NAME_MAX && MANIFEST_NAME.is_match(name)
}

/// A value and where it was written, for rules that compare documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located {
    pub value: String,
    pub position: Position,
}

/// What one document yields: the case when it is valid, and what the cross-document rules need
/// even when it is not.
pub(crate) struct DocumentReport {
    pub desired: Option<DesiredCase>,
    pub name: Option<Located>,
    pub case_id: Option<Located>,
    /// The valid ones, each once, none equal to `name`.
    pub previous_names: Vec<Located>,
    /// `metadata.ignore`: fields whose drift this manifest leaves alone.
    pub ignore: Vec<SpecField>,
    pub problems: Vec<Problem>,
}

pub(crate) fn validate_document(root: &Node) -> DocumentReport {
    let mut checker = Checker::default();
    let mut report = DocumentReport {
        desired: None,
        name: None,
        case_id: None,
        previous_names: Vec::new(),
        ignore: Vec::new(),
        problems: Vec::new(),
    };
    let Some(top) = checker.fields(root, "", &TOP_FIELDS, &TOP_FIELDS) else {
        if let Some(problem) = checker.problems.last_mut() {
            problem.hint = Some(format!(
                "a manifest is a mapping with apiVersion: {API_VERSION}, kind: {KIND}, metadata and spec"
            ));
        }
        report.problems = checker.problems;
        return report;
    };
    if let Some(node) = top.get("apiVersion") {
        check_constant(&mut checker, node, "apiVersion", API_VERSION);
    }
    if let Some(node) = top.get("kind") {
        check_constant(&mut checker, node, "kind", KIND);
    }
    if let Some(node) = top.get("metadata") {
        read_metadata(&mut checker, node, &mut report);
    }
    let spec = top
        .get("spec")
        .and_then(|node| read_spec(&mut checker, node));
    if checker.error_count() == 0
        && let (Some(name), Some(spec)) = (&report.name, spec)
    {
        let mut desired = spec.into_desired(
            name.value.clone(),
            report.case_id.as_ref().map(|id| id.value.clone()),
        );
        desired.previous_names = report
            .previous_names
            .iter()
            .map(|previous| previous.value.clone())
            .collect();
        report.desired = Some(desired);
    }
    report.problems = checker.problems;
    report
}

fn check_constant(checker: &mut Checker, node: &Node, path: &str, expected: &str) {
    if let Some(text) = checker.text(node, path)
        && text != expected
    {
        checker.error(
            node.position,
            format!(
                "`{path}` is {}; sirops reads only {expected:?}",
                quoted(text)
            ),
            Some(format!("write `{path}: {expected}`")),
        );
    }
}

fn read_metadata(checker: &mut Checker, node: &Node, report: &mut DocumentReport) {
    let Some(fields) = checker.fields(node, "metadata", &METADATA_FIELDS, &["name"]) else {
        return;
    };
    if let Some(node) = fields.get("name") {
        report.name = read_manifest_name(checker, node, "metadata.name");
    }
    if let Some(node) = fields.get("caseId")
        && let Some(case_id) = checker.text(node, "metadata.caseId")
    {
        let length = case_id.chars().count();
        if !(limits::CASE_ID.0..=limits::CASE_ID.1).contains(&length) || !CASE_ID.is_match(case_id)
        {
            checker.error(
                node.position,
                format!("`metadata.caseId` {} is not a Security IR case id", quoted(case_id)),
                Some(format!(
                    "a case id starts with at least 10 digits and is {} to {} characters long, e.g. \"1234567890\"",
                    limits::CASE_ID.0,
                    limits::CASE_ID.1
                )),
            );
        } else {
            if is_plain_number(node) {
                checker.warning(
                    node.position,
                    "`metadata.caseId` is written as a number".into(),
                    Some(format!(
                        "quote it (caseId: \"{case_id}\") so YAML tools do not read it as a number"
                    )),
                );
            }
            report.case_id = Some(Located {
                value: case_id.to_string(),
                position: node.position,
            });
        }
    }
    if let Some(node) = fields.get("previousNames") {
        report.previous_names = read_previous_names(checker, node, report.name.as_ref());
    }
    if let Some(node) = fields.get("ignore") {
        report.ignore = read_ignored_fields(checker, node);
    }
}

/// `metadata.ignore`: spec field names, each once.
fn read_ignored_fields(checker: &mut Checker, node: &Node) -> Vec<SpecField> {
    const PATH: &str = "metadata.ignore";
    let Some(items) = checker.list(node, PATH, SpecField::ALL.len()) else {
        return Vec::new();
    };
    let mut ignored = Vec::with_capacity(items.len());
    for item in items {
        let Some(name) = checker.text(item, PATH) else {
            continue;
        };
        match SpecField::from_name(name) {
            Some(field) if ignored.contains(&field) => checker.error(
                item.position,
                format!("`{PATH}` names `{name}` twice"),
                Some("remove one".into()),
            ),
            Some(field) => ignored.push(field),
            None => checker.error(
                item.position,
                format!(
                    "`{PATH}` names `{}`, which is not a spec field",
                    super::diagnostic::shortened(name)
                ),
                Some(crate::manifest::suggest_spec_field(name)),
            ),
        }
    }
    ignored
}

fn read_manifest_name(checker: &mut Checker, node: &Node, path: &str) -> Option<Located> {
    let name = checker.text(node, path)?;
    if !is_valid_manifest_name(name) {
        checker.error(
            node.position,
            format!("`{path}` {} is not a valid manifest name", quoted(name)),
            Some(format!(
                "use 1 to {} lowercase letters, digits and '-', starting and ending with a letter or digit, e.g. payroll-phishing",
                limits::NAME_MAX
            )),
        );
        return None;
    }
    Some(Located {
        value: name.to_string(),
        position: node.position,
    })
}

/// Earlier names of a renamed manifest, so the case tagged with one is retagged rather than
/// closed and created again. Each must be a name that could have been `metadata.name`.
fn read_previous_names(checker: &mut Checker, node: &Node, name: Option<&Located>) -> Vec<Located> {
    const PATH: &str = "metadata.previousNames";
    let Some(items) = checker.list(node, PATH, usize::MAX) else {
        if node.is_null()
            && let Some(problem) = checker.problems.last_mut()
        {
            problem.hint = Some(
                "list the manifest's earlier names, e.g. `previousNames: [old-name]`, or remove the key".into(),
            );
        }
        return Vec::new();
    };
    let mut previous_names = Vec::with_capacity(items.len());
    let mut seen = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        let path = format!("{PATH}[{index}]");
        let Some(previous) = read_manifest_name(checker, item, &path) else {
            continue;
        };
        if name.is_some_and(|name| name.value == previous.value) {
            checker.error(
                item.position,
                format!(
                    "`{path}` is the manifest's own name {}",
                    quoted(&previous.value)
                ),
                Some("remove it: previousNames lists only names the manifest had before".into()),
            );
            continue;
        }
        let errors = checker.error_count();
        checker.check_unique(
            &mut seen,
            previous.value.clone(),
            item,
            PATH,
            &quoted(&previous.value),
        );
        if checker.error_count() == errors {
            previous_names.push(previous);
        }
    }
    previous_names
}

/// The spec's values that were valid; required ones are `None` only when an error was reported.
#[derive(Default)]
struct Spec {
    title: Option<String>,
    description: Option<String>,
    engagement_type: Option<EngagementType>,
    resolver_type: Option<ResolverType>,
    status: Option<CaseStatus>,
    reported_incident_start_date: Option<Timestamp>,
    actual_incident_start_date: Option<Timestamp>,
    watchers: Option<Vec<Watcher>>,
    threat_actor_ip_addresses: Option<Vec<ThreatActorIp>>,
    impacted_services: Option<Vec<String>>,
    impacted_aws_regions: Option<Vec<String>>,
    impacted_accounts: Option<Vec<String>>,
    case_metadata: Option<BTreeMap<String, String>>,
    tags: Option<BTreeMap<String, String>>,
}

impl Spec {
    /// Only called when no error was reported, so every required value is present; the
    /// defaults below are never used and exist so that this cannot panic.
    fn into_desired(self, name: String, case_id: Option<String>) -> DesiredCase {
        DesiredCase {
            name,
            case_id,
            previous_names: Vec::new(),
            title: self.title.unwrap_or_default(),
            description: self.description.unwrap_or_default(),
            engagement_type: self
                .engagement_type
                .unwrap_or(EngagementType::SecurityIncident),
            resolver_type: self.resolver_type.unwrap_or(ResolverType::SelfManaged),
            status: self.status,
            reported_incident_start_date: self
                .reported_incident_start_date
                .unwrap_or(Timestamp::from_epoch_millis(0)),
            actual_incident_start_date: self.actual_incident_start_date,
            watchers: self.watchers,
            threat_actor_ip_addresses: self.threat_actor_ip_addresses,
            impacted_services: self.impacted_services,
            impacted_aws_regions: self.impacted_aws_regions,
            impacted_accounts: self.impacted_accounts,
            case_metadata: self.case_metadata,
            tags: self.tags,
        }
    }
}

fn read_spec(checker: &mut Checker, node: &Node) -> Option<Spec> {
    let required: Vec<&str> = SpecField::required_names().collect();
    let fields = checker.fields(node, "spec", SpecField::names(), &required)?;
    let mut spec = Spec::default();
    // In manifest order, which reads resolverType before the status its rules depend on.
    for field in SpecField::ALL {
        if let Some(node) = fields.get(field.name()) {
            read_spec_field(checker, field, node, &mut spec);
        }
    }
    Some(spec)
}

fn read_spec_field(checker: &mut Checker, field: SpecField, node: &Node, spec: &mut Spec) {
    let path = format!("spec.{field}");
    match field {
        SpecField::Title => {
            spec.title = checker
                .bounded_text(node, &path, limits::TITLE)
                .map(str::to_string);
        }
        SpecField::Description => {
            spec.description = checker
                .bounded_text(node, &path, limits::DESCRIPTION)
                .map(str::to_string);
        }
        SpecField::EngagementType => spec.engagement_type = read_enum(checker, node, &path),
        SpecField::ResolverType => spec.resolver_type = read_enum(checker, node, &path),
        SpecField::Status => spec.status = read_status(checker, node, spec.resolver_type),
        SpecField::ReportedIncidentStartDate => {
            spec.reported_incident_start_date = read_date(checker, node, &path);
        }
        SpecField::ActualIncidentStartDate => {
            spec.actual_incident_start_date = read_date(checker, node, &path);
        }
        SpecField::Watchers => spec.watchers = read_watchers(checker, node),
        SpecField::ThreatActorIpAddresses => {
            spec.threat_actor_ip_addresses = read_threat_actor_ips(checker, node);
        }
        SpecField::ImpactedServices => spec.impacted_services = read_services(checker, node),
        SpecField::ImpactedAwsRegions => spec.impacted_aws_regions = read_regions(checker, node),
        SpecField::ImpactedAccounts => spec.impacted_accounts = read_accounts(checker, node),
        SpecField::CaseMetadata => spec.case_metadata = read_case_metadata(checker, node),
        SpecField::Tags => spec.tags = read_tags(checker, node),
    }
}

/// The API enums all parse their wire spellings with `FromStr` into `UnknownEnumValue`.
fn read_enum<T>(checker: &mut Checker, node: &Node, path: &str) -> Option<T>
where
    T: FromStr<Err = crate::model::UnknownEnumValue>,
{
    let text = checker.text(node, path)?;
    match text.parse::<T>() {
        Ok(value) => Some(value),
        Err(error) => {
            checker.error(
                node.position,
                format!("`{path}` {} is not a valid {}", quoted(text), error.kind),
                Some(suggest::hint(text, &error.expected)),
            );
            None
        }
    }
}

fn read_status(
    checker: &mut Checker,
    node: &Node,
    resolver_type: Option<ResolverType>,
) -> Option<CaseStatus> {
    const PATH: &str = "spec.status";
    let text = checker.text(node, PATH)?;
    let requestable: Vec<&str> = CaseStatus::ALL
        .iter()
        .filter(|status| is_requestable(**status))
        .map(|status| status.as_str())
        .collect();
    let status = if text == STATUS_ALIAS {
        CaseStatus::ContainmentEradicationAndRecovery
    } else if let Ok(status) = text.parse::<CaseStatus>() {
        status
    } else {
        checker.error(
            node.position,
            format!("`{PATH}` {} is not a case status", quoted(text)),
            Some(suggest::hint(text, &requestable)),
        );
        return None;
    };
    if !is_requestable(status) {
        checker.error(
            node.position,
            format!(
                "`{PATH}` cannot be {:?}: only AWS sets that status",
                status.as_str()
            ),
            Some(format!("ask for one of: {}", requestable.join(", "))),
        );
        return None;
    }
    if resolver_type == Some(ResolverType::Aws) && status != CaseStatus::Closed {
        checker.error(
            node.position,
            format!(
                "`{PATH}` cannot be {:?} for a case with resolverType AWS: AWS responders drive its status",
                status.as_str()
            ),
            Some("remove `status`, or write `status: Closed` to close the case".into()),
        );
        return None;
    }
    Some(status)
}

/// Longer than any RFC 3339 date-time sirops accepts (`2026-11-20T08:00:00.000+14:00` is 29
/// bytes), with room for nanoseconds, which are refused with their own message.
const DATE_LENGTH_MAX: usize = 64;
/// Room for the parser's reason after a shortened date, e.g. "failed to parse two digit
/// integer as month: parameter 'month' is not in the required range of 1..=12".
const DATE_DETAIL_CHARS_MAX: usize = 240;
const DATE_HINT: &str = "write an RFC 3339 date-time with an offset, e.g. 2026-11-20T08:00:00Z";

/// Statuses a manifest may ask for: the self-managed ones and Closed.
pub(crate) fn is_requestable(status: CaseStatus) -> bool {
    CaseStatus::SELF_MANAGED_TARGETS.contains(&status) || status == CaseStatus::Closed
}

fn read_date(checker: &mut Checker, node: &Node, path: &str) -> Option<Timestamp> {
    let text = checker.text(node, path)?;
    let not_a_date = || format!("`{path}` {} is not an RFC 3339 date-time", quoted(text));
    // No date is anywhere near this long; parsing it would only cost time.
    if text.len() > DATE_LENGTH_MAX {
        checker.error(node.position, not_a_date(), Some(DATE_HINT.into()));
        return None;
    }
    match Timestamp::parse_rfc3339(text) {
        Ok(timestamp) => Some(timestamp),
        Err(error) => {
            // The parser's message quotes the whole text with `{:?}`, where each control
            // character takes up to ten; quote it the short way, and keep the parser's reason
            // only while the message stays short.
            let detail = error.replacen(&format!("{text:?}"), &quoted(text), 1);
            let message = if detail.chars().count() <= DATE_DETAIL_CHARS_MAX {
                format!("`{path}`: {detail}")
            } else {
                not_a_date()
            };
            checker.error(node.position, message, Some(DATE_HINT.into()));
            None
        }
    }
}

fn read_watchers(checker: &mut Checker, node: &Node) -> Option<Vec<Watcher>> {
    let items = checker.list(node, "spec.watchers", limits::WATCHERS_MAX)?;
    let mut watchers = Vec::with_capacity(items.len());
    let mut seen = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        let path = format!("spec.watchers[{index}]");
        let Some(fields) = checker.fields(item, &path, &WATCHER_FIELDS, &["email"]) else {
            continue;
        };
        let email = fields.get("email").and_then(|node| {
            let email_path = format!("{path}.email");
            let email = checker.bounded_text(node, &email_path, limits::EMAIL)?;
            if !EMAIL.is_match(email) {
                checker.error(
                    node.position,
                    format!("`{email_path}` {} is not an email address", quoted(email)),
                    Some("write an address like alice@example.com".into()),
                );
                return None;
            }
            checker.check_unique(
                &mut seen,
                email.to_lowercase(),
                node,
                "spec.watchers",
                &format!("the watcher {}", shortened(email)),
            );
            Some(email)
        });
        let name = fields
            .get("name")
            .map(|node| checker.bounded_text(node, &format!("{path}.name"), limits::PERSON_NAME));
        let job_title = fields
            .get("jobTitle")
            .map(|node| checker.bounded_text(node, &format!("{path}.jobTitle"), limits::JOB_TITLE));
        if let Some(email) = email {
            watchers.push(Watcher {
                email: email.to_string(),
                name: name.flatten().map(str::to_string),
                job_title: job_title.flatten().map(str::to_string),
            });
        }
    }
    Some(watchers)
}

fn read_threat_actor_ips(checker: &mut Checker, node: &Node) -> Option<Vec<ThreatActorIp>> {
    let items = checker.list(
        node,
        "spec.threatActorIpAddresses",
        limits::THREAT_ACTOR_IPS_MAX,
    )?;
    let mut addresses = Vec::with_capacity(items.len());
    let mut seen = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        let path = format!("spec.threatActorIpAddresses[{index}]");
        let Some(fields) = checker.fields(item, &path, &THREAT_ACTOR_IP_FIELDS, &["ipAddress"])
        else {
            continue;
        };
        let address = fields.get("ipAddress").and_then(|node| {
            let address_path = format!("{path}.ipAddress");
            let address = checker.text(node, &address_path)?;
            if !IP_ADDRESS.is_match(address) {
                checker.error(
                    node.position,
                    format!(
                        "`{address_path}` {} is not an IP address the API accepts",
                        quoted(address)
                    ),
                    Some(ip_hint(address)),
                );
                return None;
            }
            Some((address, node))
        });
        let user_agent = fields.get("userAgent").map(|node| {
            checker.bounded_text(node, &format!("{path}.userAgent"), limits::USER_AGENT)
        });
        if let Some((address, address_node)) = address {
            let user_agent = user_agent.flatten();
            let what = match user_agent {
                Some(agent) => format!("{address} with user agent {}", quoted(agent)),
                None => format!("{address} without a user agent"),
            };
            checker.check_unique(
                &mut seen,
                format!("{address}\n{}", user_agent.unwrap_or("")),
                address_node,
                "spec.threatActorIpAddresses",
                &what,
            );
            addresses.push(ThreatActorIp {
                ip_address: address.to_string(),
                user_agent: user_agent.map(str::to_string),
            });
        }
    }
    Some(addresses)
}

/// The API takes IPv6 only as eight groups of uppercase hex; name that form when we can.
fn ip_hint(address: &str) -> String {
    match address.parse::<Ipv6Addr>() {
        Ok(parsed) => {
            let full = parsed
                .segments()
                .iter()
                .map(|segment| format!("{segment:X}"))
                .collect::<Vec<_>>()
                .join(":");
            format!("the API takes IPv6 as eight uppercase groups: write {full}")
        }
        Err(_) => "write an IPv4 address like 198.51.100.7 or a full uppercase IPv6 address like 2001:DB8:0:0:0:0:0:1".into(),
    }
}

fn read_services(checker: &mut Checker, node: &Node) -> Option<Vec<String>> {
    const PATH: &str = "spec.impactedServices";
    let items = checker.list(node, PATH, limits::IMPACTED_SERVICES_MAX)?;
    let mut services = Vec::with_capacity(items.len());
    let mut seen = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        let path = format!("{PATH}[{index}]");
        let Some(service) = checker.bounded_text(item, &path, limits::AWS_SERVICE) else {
            continue;
        };
        if !AWS_SERVICE.is_match(service) {
            checker.error(
                item.position,
                format!(
                    "`{path}` {} has characters the API does not accept in a service name",
                    quoted(service)
                ),
                Some("use letters, digits, spaces and - . ( ) :, e.g. Amazon S3".into()),
            );
            continue;
        }
        checker.check_unique(&mut seen, service.to_string(), item, PATH, &quoted(service));
        services.push(service.to_string());
    }
    Some(services)
}

fn read_regions(checker: &mut Checker, node: &Node) -> Option<Vec<String>> {
    const PATH: &str = "spec.impactedAwsRegions";
    let items = checker.list(node, PATH, limits::IMPACTED_REGIONS_MAX)?;
    let mut regions = Vec::with_capacity(items.len());
    let mut seen = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        let path = format!("{PATH}[{index}]");
        let Some(region) = checker.text(item, &path) else {
            continue;
        };
        if !AWS_REGIONS.contains(&region) {
            checker.error(
                item.position,
                format!(
                    "`{path}` {} is not an AWS region the API knows",
                    quoted(region)
                ),
                Some(suggest::hint(region, &AWS_REGIONS)),
            );
            continue;
        }
        checker.check_unique(&mut seen, region.to_string(), item, PATH, region);
        regions.push(region.to_string());
    }
    Some(regions)
}

fn read_accounts(checker: &mut Checker, node: &Node) -> Option<Vec<String>> {
    const PATH: &str = "spec.impactedAccounts";
    const DIGITS: usize = 12;
    let items = checker.list(node, PATH, limits::IMPACTED_ACCOUNTS_MAX)?;
    let mut accounts = Vec::with_capacity(items.len());
    let mut seen = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        let path = format!("{PATH}[{index}]");
        let Some(text) = checker.text(item, &path) else {
            continue;
        };
        if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
            checker.error(
                item.position,
                format!("`{path}` {} is not an AWS account id", quoted(text)),
                Some("an account id is 12 digits, e.g. \"123456789012\"".into()),
            );
            continue;
        }
        if text.len() > DIGITS {
            checker.error(
                item.position,
                format!(
                    "`{path}` {} has {} digits; an AWS account id has 12",
                    shortened(text),
                    text.len()
                ),
                Some("check for an extra digit".into()),
            );
            continue;
        }
        let account = format!("{text:0>DIGITS$}");
        if text.len() < DIGITS {
            checker.warning(
                item.position,
                format!("`{path}` {text} has fewer than 12 digits; read as \"{account}\""),
                Some(format!(
                    "write the account id quoted with all 12 digits: \"{account}\""
                )),
            );
        } else if is_plain_number(item) {
            checker.warning(
                item.position,
                format!("`{path}` {text} is written as a number"),
                Some(format!(
                    "quote it (\"{account}\") so YAML tools keep any leading zeros"
                )),
            );
        }
        checker.check_unique(
            &mut seen,
            account.clone(),
            item,
            PATH,
            &format!("the account {account}"),
        );
        accounts.push(account);
    }
    Some(accounts)
}

fn read_case_metadata(checker: &mut Checker, node: &Node) -> Option<BTreeMap<String, String>> {
    const PATH: &str = "spec.caseMetadata";
    let entries = checker.mapping(node, PATH)?;
    let (min, max) = limits::CASE_METADATA;
    if entries.len() < min {
        checker.error(
            node.position,
            format!("`{PATH}` is empty; the API cannot store empty case metadata"),
            Some("add at least one entry, or remove `caseMetadata` to leave it unmanaged".into()),
        );
        return None;
    }
    if entries.len() > max {
        checker.error(
            node.position,
            format!(
                "`{PATH}` has {} entries; the API allows at most {max}",
                entries.len()
            ),
            Some(format!("remove {} of them", entries.len() - max)),
        );
    }
    let mut metadata = BTreeMap::new();
    for (key, key_node, value_node) in entries {
        let key_ok = checker.check_length(
            key_node,
            &format!("a key of `{PATH}`"),
            key,
            limits::CASE_METADATA_KEY,
        );
        let value = checker.bounded_text(
            value_node,
            &format!("{PATH}.{}", shortened(key)),
            limits::CASE_METADATA_VALUE,
        );
        if let (true, Some(value)) = (key_ok, value) {
            metadata.insert(key.to_string(), value.to_string());
        }
    }
    Some(metadata)
}

fn read_tags(checker: &mut Checker, node: &Node) -> Option<BTreeMap<String, String>> {
    const PATH: &str = "spec.tags";
    let entries = checker.mapping(node, PATH)?;
    if entries.len() > limits::USER_TAGS_MAX {
        checker.error(
            node.position,
            format!(
                "`{PATH}` has {} tags; a manifest may have at most {}: the API allows {} per case and sirops adds `{OWNERSHIP_TAG_KEY}`, `{SCOPE_TAG_KEY}` and `{REVISION_TAG_KEY}`",
                entries.len(),
                limits::USER_TAGS_MAX,
                limits::TAGS_MAX,
            ),
            Some(format!(
                "remove {} of them",
                entries.len() - limits::USER_TAGS_MAX
            )),
        );
    }
    let mut tags = BTreeMap::new();
    for (key, key_node, value_node) in entries {
        let mut key_ok = checker.check_length(
            key_node,
            &format!("a key of `{PATH}`"),
            key,
            limits::TAG_KEY,
        );
        if is_reserved_tag_key(key) {
            let owner = if key.starts_with(AWS_TAG_PREFIX) {
                format!("AWS manages `{AWS_TAG_PREFIX}` tags and lets no one else set them")
            } else {
                format!("sirops manages `{RESERVED_TAG_PREFIX}` tags itself")
            };
            checker.error(
                key_node.position,
                format!("tag key `{}` is reserved: {owner}", shortened(key)),
                Some("remove it or choose a key without that prefix".into()),
            );
            key_ok = false;
        }
        let value_path = format!("{PATH}.{}", shortened(key));
        let value = if value_node.is_null() {
            checker.error(
                value_node.position,
                format!("`{value_path}` has no value"),
                Some(format!(
                    "write `{}: \"\"` for an empty tag value",
                    shortened(key)
                )),
            );
            None
        } else {
            checker.bounded_text(value_node, &value_path, limits::TAG_VALUE)
        };
        if let (true, Some(value)) = (key_ok, value) {
            tags.insert(key.to_string(), value.to_string());
        }
    }
    Some(tags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::yaml::parse_stream;

    const VALID: &str = r#"apiVersion: sirops/v1
kind: Case
metadata:
  name: payroll-phishing
spec:
  title: Phishing against the payroll team
  description: Credential phishing wave.
  engagementType: Security Incident
  resolverType: Self
  status: Containment, Eradication, and Recovery
  reportedIncidentStartDate: 2026-11-20T08:00:00Z
  watchers:
    - email: alice@example.com
      name: Alice Doe
  threatActorIpAddresses:
    - ipAddress: 2001:DB8:0:0:0:0:0:7
  impactedAccounts: [12345, "123456789012"]
  caseMetadata:
    severity: high
  tags:
    team: secops
"#;

    fn report(text: &str) -> DocumentReport {
        let stream = parse_stream(text);
        assert!(stream.errors.is_empty(), "{:?}", stream.errors);
        validate_document(stream.documents[0].root.as_ref().unwrap())
    }

    fn messages(text: &str) -> Vec<String> {
        report(text)
            .problems
            .iter()
            .map(|problem| {
                format!(
                    "{}:{} {}",
                    problem.position.line, problem.position.column, problem.message
                )
            })
            .collect()
    }

    #[test]
    fn api_patterns_compile() {
        for regex in [&EMAIL, &IP_ADDRESS, &AWS_SERVICE, &CASE_ID, &MANIFEST_NAME] {
            LazyLock::force(regex);
        }
    }

    #[test]
    fn a_valid_manifest_is_normalised() {
        let report = report(VALID);
        let desired = report.desired.expect("valid");
        assert_eq!(
            desired.status,
            Some(CaseStatus::ContainmentEradicationAndRecovery)
        );
        assert_eq!(
            desired.impacted_accounts,
            Some(vec!["000000012345".to_string(), "123456789012".to_string()])
        );
        assert_eq!(report.problems.len(), 1, "only the padding warning");
        assert_eq!(
            report.problems[0].severity,
            crate::manifest::Severity::Warning
        );
    }

    #[test]
    fn every_error_is_reported_at_its_value() {
        let text = VALID
            .replace("alice@example.com", "alice")
            .replace("2001:DB8:0:0:0:0:0:7", "2001:db8::7")
            .replace("resolverType: Self", "resolverType: AWS");
        assert_eq!(
            messages(&text),
            vec![
                "10:11 `spec.status` cannot be \"Containment, Eradication and Recovery\" for a case with resolverType AWS: AWS responders drive its status",
                "13:14 `spec.watchers[0].email` is 5 characters long",
                "16:18 `spec.threatActorIpAddresses[0].ipAddress` \"2001:db8::7\" is not an IP address the API accepts",
                "17:22 `spec.impactedAccounts[0]` 12345 has fewer than 12 digits; read as \"000000012345\"",
            ]
        );
    }

    #[test]
    fn ipv6_hint_names_the_full_uppercase_form() {
        assert!(ip_hint("2001:db8::7").ends_with("2001:DB8:0:0:0:0:0:7"));
    }

    #[test]
    fn a_manifest_may_have_197_tags_of_its_own() {
        let with_tags = |count: usize| {
            let tags: String = (0..count)
                .map(|index| format!("    t{index}: v\n"))
                .collect();
            VALID.replace("    team: secops\n", &tags)
        };
        assert!(report(&with_tags(197)).desired.is_some());
        let refused = report(&with_tags(198));
        assert!(refused.desired.is_none());
        assert!(
            refused.problems[1]
                .message
                .starts_with("`spec.tags` has 198 tags; a manifest may have at most 197"),
            "{:?}",
            refused.problems
        );
    }

    #[test]
    fn a_date_of_control_characters_gives_a_short_message() {
        // Found by the fuzz target: each control character is quoted as `\u{7f}`.
        let date = format!("1013-31-20{}\t1-20T08:00:00Z", "\u{7f}".repeat(23));
        let text = VALID.replace(
            "reportedIncidentStartDate: 2026-11-20T08:00:00Z",
            &format!("reportedIncidentStartDate: {date}"),
        );
        let messages = messages(&text);
        assert!(
            messages[0].starts_with("11:30 `spec.reportedIncidentStartDate` \"1013-31-20\\u{7f}"),
            "{messages:?}"
        );
        assert!(messages[0].chars().count() <= 300, "{messages:?}");
        assert!(messages[0].contains("… (48 characters)"), "{messages:?}");
    }

    #[test]
    fn statuses_only_aws_sets_are_refused() {
        let text = VALID.replace("Containment, Eradication, and Recovery", "Ready to Close");
        assert_eq!(
            messages(&text)[0],
            "10:11 `spec.status` cannot be \"Ready to Close\": only AWS sets that status"
        );
    }
}
