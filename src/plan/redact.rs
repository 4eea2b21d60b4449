//! `--redact`: the members the API model marks sensitive (emails, IP addresses, person names, job
//! titles, case titles and descriptions, comment bodies) become placeholders like `<email-1>`
//! before any renderer sees the plan, so every format is redacted alike.
//!
//! A placeholder is numbered by first appearance, not derived from the value: an unsalted hash of
//! an IPv4 address or an email is easy to reverse by trying candidates. The same value gets the
//! same placeholder everywhere in one plan, so a reviewer still sees which values moved.
//!
//! A redacted plan is for people. It carries `redacted: true`, and `parse_json` refuses it, so
//! placeholders can never be written to a case.

use std::collections::HashMap;

use serde_json::Value;

use super::{CasePlan, Plan};
use crate::diff::FieldChange;
use crate::model::{CaseEdit, FieldValues, SpecField};
use crate::request::Request;

/// What a sensitive value is, which names its placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Email,
    Ip,
    Name,
    JobTitle,
    Title,
    Description,
    Comment,
}

impl Kind {
    /// The API member names whose values are sensitive, wherever they appear.
    fn of_member(member: &str) -> Option<Kind> {
        Some(match member {
            "email" => Kind::Email,
            "ipAddress" => Kind::Ip,
            "name" => Kind::Name,
            "jobTitle" => Kind::JobTitle,
            "title" => Kind::Title,
            "description" => Kind::Description,
            "body" => Kind::Comment,
            _ => return None,
        })
    }

    fn label(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Ip => "ip",
            Kind::Name => "name",
            Kind::JobTitle => "job-title",
            Kind::Title => "title",
            Kind::Description => "description",
            Kind::Comment => "comment",
        }
    }
}

/// Whether an API member's keys are the user's (tags, case metadata): a key there that happens
/// to be `name` or `title` is not the API member of that name.
fn is_user_keyed(member: &str) -> bool {
    SpecField::from_name(member)
        .is_some_and(|field| field.definition().values == FieldValues::UserKeyed)
}

/// Members outside a manifest's spec that hold enum values or identifiers.
const API_MEMBERS_NOT_FREE_TEXT: [&str; 5] = [
    "caseId",
    "resourceArn",
    "clientToken",
    "caseStatus",
    "tagKeys",
];

/// Members that hold enum values, dates or identifiers. Free text is never searched inside them:
/// they are not sensitive, and a request must still deserialise after redaction.
fn is_not_free_text(member: &str) -> bool {
    match SpecField::from_name(member) {
        Some(field) => field.definition().values == FieldValues::Fixed,
        None => API_MEMBERS_NOT_FREE_TEXT.contains(&member),
    }
}

/// The plan with every sensitive value replaced by its placeholder, marked `redacted`.
/// The live fingerprints are dropped too: a digest of a case is a way to test guesses of its
/// values, and a redacted plan is never applied, so nothing needs them. A plan already
/// redacted is returned as it is: redacting it again would change nothing, so callers need
/// not check.
pub fn redact(plan: &Plan) -> Plan {
    if plan.redacted {
        return plan.clone();
    }
    let mut requests: Vec<Vec<Value>> = plan
        .cases
        .iter()
        .map(|case| case.requests.iter().map(request_input).collect())
        .collect();
    let placeholders = placeholders_of(plan, &requests);
    let free_text = FreeText::new(&placeholders);

    let cases = plan
        .cases
        .iter()
        .zip(&mut requests)
        .map(|(case, inputs)| {
            let requests = case
                .requests
                .iter()
                .zip(inputs.iter_mut())
                .map(|(request, input)| {
                    replace(input, None, &placeholders, &free_text);
                    rebuild_request(request, input.take())
                })
                .collect();
            CasePlan {
                requests,
                changes: case
                    .changes
                    .iter()
                    .map(|change| redact_change(change, &placeholders, &free_text))
                    .collect(),
                notes: case
                    .notes
                    .iter()
                    .map(|note| free_text.replace(note))
                    .collect(),
                error: case.error.as_ref().map(|error| free_text.replace(error)),
                live_fingerprint: None,
                ..case.clone()
            }
        })
        .collect();
    Plan {
        cases,
        redacted: true,
        ..plan.clone()
    }
}

/// Every sensitive value of the plan gets its placeholder, in plan order, so that free text
/// anywhere can be searched for values that appear only later in the plan.
fn placeholders_of(plan: &Plan, requests: &[Vec<Value>]) -> Placeholders {
    let mut placeholders = Placeholders::default();
    for (case, inputs) in plan.cases.iter().zip(requests) {
        for input in inputs {
            collect(input, None, &mut placeholders);
        }
        for change in &case.changes {
            for value in change.before.iter().chain(&change.after) {
                collect(value, change_kind(change), &mut placeholders);
            }
        }
    }
    // Principals are people: a federated session is often named by its user's email address.
    let principals = plan
        .cases
        .iter()
        .flat_map(|case| &case.changes)
        .flat_map(|change| &change.edits)
        .map(|edit| edit.principal.as_str());
    for principal in principals {
        for address in email_address().find_iter(principal) {
            placeholders.assign(Kind::Email, address.as_str());
        }
    }
    placeholders
}

/// Text shaped like an email address, as it appears inside an ARN's last segment or in free
/// text.
pub fn email_address() -> &'static regex::Regex {
    static PATTERN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    PATTERN.get_or_init(|| {
        regex::Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
            .expect("the email pattern compiles")
    })
}

/// Redacts text that is not part of the plan (an apply's error messages) with the placeholders
/// `redact` gives the plan's values, so the apply summary tells the same story as the plan.
pub struct Redactor {
    free_text: FreeText,
}

impl Redactor {
    pub fn for_plan(plan: &Plan) -> Redactor {
        let requests: Vec<Vec<Value>> = plan
            .cases
            .iter()
            .map(|case| case.requests.iter().map(request_input).collect())
            .collect();
        Redactor {
            free_text: FreeText::new(&placeholders_of(plan, &requests)),
        }
    }

    pub fn text(&self, text: &str) -> String {
        self.free_text.replace(text)
    }

    /// `text` redacted when there is a redactor (`--redact`), else as it is.
    pub fn text_with(redactor: Option<&Redactor>, text: &str) -> String {
        match redactor {
            Some(redactor) => redactor.text(text),
            None => text.to_string(),
        }
    }
}

/// `{"operation": ..., "input": {...}}` -> the input, where the member names are.
fn request_input(request: &Request) -> Value {
    let mut value = serde_json::to_value(request).expect("a request always serialises");
    value["input"].take()
}

/// Only strings were replaced by strings, and never inside enum, date or id members, so the
/// input still has the request's shape.
fn rebuild_request(request: &Request, input: Value) -> Request {
    let wrapped = serde_json::json!({"operation": request.operation(), "input": input});
    serde_json::from_value(wrapped).expect("redaction replaces strings with strings only")
}

/// A change's field names the kind of its scalar values: `title: "old" -> "new"`.
fn change_kind(change: &FieldChange) -> Option<Kind> {
    match change.field.definition().values {
        FieldValues::SensitiveText => Kind::of_member(change.field.name()),
        FieldValues::Fixed | FieldValues::Items | FieldValues::UserKeyed => None,
    }
}

fn redact_change(
    change: &FieldChange,
    placeholders: &Placeholders,
    free_text: &FreeText,
) -> FieldChange {
    let redact_value = |value: &Value| {
        let mut value = value.clone();
        match change.field.definition().values {
            FieldValues::UserKeyed => replace_free_text(&mut value, free_text),
            FieldValues::Fixed => {}
            FieldValues::SensitiveText | FieldValues::Items => {
                replace(&mut value, change_kind(change), placeholders, free_text);
            }
        }
        value
    };
    FieldChange {
        before: change.before.as_ref().map(redact_value),
        after: change.after.as_ref().map(redact_value),
        // The service writes an edit's message; it may quote the values it changed.
        edits: change
            .edits
            .iter()
            .map(|edit| CaseEdit {
                principal: free_text.replace(&edit.principal),
                message: free_text.replace(&edit.message),
                ..edit.clone()
            })
            .collect(),
        ..change.clone()
    }
}

/// Assigns placeholders to the sensitive strings of `value`, in document order.
/// `kind` is set when `value` itself sits in a sensitive position.
fn collect(value: &Value, kind: Option<Kind>, placeholders: &mut Placeholders) {
    match value {
        Value::String(text) => {
            if let Some(kind) = kind {
                placeholders.assign(kind, text);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect(item, kind, placeholders)),
        Value::Object(members) => {
            for (member, value) in members {
                if is_user_keyed(member) {
                    continue;
                }
                collect(value, Kind::of_member(member), placeholders);
            }
        }
        _ => {}
    }
}

/// Replaces the sensitive strings of `value` whole and searches the other strings for
/// sensitive values they embed.
fn replace(
    value: &mut Value,
    kind: Option<Kind>,
    placeholders: &Placeholders,
    free_text: &FreeText,
) {
    match value {
        Value::String(text) => {
            *text = match kind.and_then(|_| placeholders.get(text)) {
                Some(placeholder) => placeholder.to_string(),
                None => free_text.replace(text),
            };
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| replace(item, kind, placeholders, free_text)),
        Value::Object(members) => {
            for (member, value) in members.iter_mut() {
                if is_not_free_text(member) {
                    continue;
                }
                if is_user_keyed(member) {
                    replace_free_text(value, free_text);
                } else {
                    replace(value, Kind::of_member(member), placeholders, free_text);
                }
            }
        }
        _ => {}
    }
}

/// Inside user-keyed maps only embedded values are replaced; keys are left as the user wrote
/// them (a tag key is not a sensitive member).
fn replace_free_text(value: &mut Value, free_text: &FreeText) {
    match value {
        Value::String(text) => *text = free_text.replace(text),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| replace_free_text(item, free_text)),
        Value::Object(members) => members
            .values_mut()
            .for_each(|value| replace_free_text(value, free_text)),
        _ => {}
    }
}

#[derive(Debug, Default)]
struct Placeholders {
    by_value: HashMap<String, String>,
    /// In order of first appearance, which is the order `FreeText` breaks ties in.
    values: Vec<String>,
    counts: HashMap<Kind, usize>,
}

impl Placeholders {
    /// The value keeps the placeholder of its first appearance, even if it shows up later in a
    /// position of another kind: one value, one placeholder.
    fn assign(&mut self, kind: Kind, value: &str) {
        if value.is_empty() || self.by_value.contains_key(value) {
            return;
        }
        let count = self.counts.entry(kind).or_default();
        *count += 1;
        let placeholder = format!("<{}-{}>", kind.label(), count);
        self.by_value.insert(value.to_string(), placeholder);
        self.values.push(value.to_string());
    }

    fn get(&self, value: &str) -> Option<&str> {
        self.by_value.get(value).map(String::as_str)
    }
}

/// Finds sensitive values inside free text (notes, errors, tag values) and replaces them.
/// Matching ignores ASCII case, since an email's case does not make it another address, and
/// a value must stand as a whole token: the name `Al` does not turn `Also` into `<name-1>so`.
struct FreeText {
    /// Candidates by their first character (ASCII-lowercased), longest first, so `Ann Lee` wins
    /// over `Ann`.
    by_first_char: HashMap<char, Vec<(String, String)>>,
}

impl FreeText {
    fn new(placeholders: &Placeholders) -> FreeText {
        let mut by_first_char: HashMap<char, Vec<(String, String)>> = HashMap::new();
        for value in &placeholders.values {
            let first = value
                .chars()
                .next()
                .expect("empty values get no placeholder");
            by_first_char
                .entry(first.to_ascii_lowercase())
                .or_default()
                .push((value.clone(), placeholders.by_value[value].clone()));
        }
        for candidates in by_first_char.values_mut() {
            // Stable: equal lengths keep plan order, so exact spellings seen first win ties.
            candidates.sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
        }
        FreeText { by_first_char }
    }

    /// One left-to-right scan: text already replaced is never searched again, so a placeholder
    /// cannot be mangled by a value that happens to look like part of it.
    fn replace(&self, text: &str) -> String {
        if self.by_first_char.is_empty() {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut previous: Option<char> = None;
        let mut index = 0;
        'scan: while let Some(character) = text[index..].chars().next() {
            let rest = &text[index..];
            if let Some(candidates) = self.by_first_char.get(&character.to_ascii_lowercase()) {
                let exact = candidates
                    .iter()
                    .filter(|(value, _)| rest.starts_with(value.as_str()));
                let folded = candidates.iter().filter(|(value, _)| {
                    rest.get(..value.len())
                        .is_some_and(|start| start.eq_ignore_ascii_case(value))
                });
                for (value, placeholder) in exact.chain(folded) {
                    let next = rest[value.len()..].chars().next();
                    if stands_alone(value, previous, next) {
                        out.push_str(placeholder);
                        index += value.len();
                        previous = value.chars().last();
                        continue 'scan;
                    }
                }
            }
            out.push(character);
            index += character.len_utf8();
            previous = Some(character);
        }
        out
    }
}

/// True unless the match is glued to letters or digits that would make it part of a longer
/// word (only checked on the sides where the value itself starts or ends with one).
fn stands_alone(value: &str, previous: Option<char>, next: Option<char>) -> bool {
    let glued = |edge: Option<char>, neighbour: Option<char>| {
        edge.is_some_and(char::is_alphanumeric) && neighbour.is_some_and(char::is_alphanumeric)
    };
    !glued(value.chars().next(), previous) && !glued(value.chars().last(), next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{RenderOptions, fixtures, render_json, render_markdown, render_text};

    /// Every sensitive value the sample plan holds.
    const SENSITIVE: [&str; 14] = [
        "dana@example.com",
        "alice@example.com",
        "bob@example.com",
        "carol@example.com",
        "Bob Stone",
        "Carol Rivera",
        "Payroll Lead",
        "SOC Analyst",
        "198.51.100.7",
        "203.0.113.9",
        "Phishing against payroll",
        "Suspicious logins from a Tor exit",
        "Credential phishing wave",
        "One clerk entered credentials",
    ];

    #[test]
    fn redacting_a_redacted_plan_changes_nothing() {
        let once = redact(&noisy_plan());
        assert_eq!(redact(&once), once);
    }

    #[test]
    fn text_with_redacts_only_with_a_redactor() {
        let plan = fixtures::sample_plan();
        let redactor = Redactor::for_plan(&plan);
        let text = "bob@example.com was refused";
        assert_eq!(Redactor::text_with(None, text), text);
        assert_eq!(
            Redactor::text_with(Some(&redactor), text),
            redactor.text(text)
        );
        assert!(!Redactor::text_with(Some(&redactor), text).contains("bob@example.com"));
    }

    fn noisy_plan() -> Plan {
        let mut plan = fixtures::sample_plan();
        // Free text that embeds sensitive values, in a note and an error.
        plan.cases[5]
            .notes
            .push("Bob Stone (bob@example.com) asked for this; see 203.0.113.9.".into());
        plan.cases[3].error =
            Some("watcher CAROL@EXAMPLE.COM cannot be added: Carol Rivera left".into());
        plan.cases[5].changes[0].edits.push(crate::model::CaseEdit {
            time: crate::plan::fixtures::date(),
            principal: "arn:aws:iam::123456789012:user/console".into(),
            action: "WatchersUpdated".into(),
            message: "Watcher bob@example.com added".into(),
            by_sirops: false,
        });
        // A federated session named by an address that appears nowhere else in the plan.
        plan.cases[5].changes[0].edits.push(crate::model::CaseEdit {
            time: crate::plan::fixtures::date(),
            principal: "arn:aws:sts::123456789012:assumed-role/Responder/dana@example.com".into(),
            action: "TitleUpdated".into(),
            message: "Case title updated".into(),
            by_sirops: false,
        });
        plan
    }

    #[test]
    fn no_sensitive_value_survives_in_any_format() {
        let redacted = redact(&noisy_plan());
        let renderings = [
            render_text(&redacted, &RenderOptions { color: false }),
            render_text(&redacted, &RenderOptions { color: true }),
            render_json(&redacted),
            render_markdown(&redacted),
        ];
        for rendering in &renderings {
            for value in SENSITIVE {
                assert!(
                    !rendering.to_lowercase().contains(&value.to_lowercase()),
                    "{value:?} survived in:\n{rendering}"
                );
            }
        }
        // Non-sensitive values stay readable.
        assert!(renderings[0].contains("Amazon S3"));
        assert!(renderings[0].contains("payroll-phishing (1234567890)"));
        assert!(renderings[0].contains("curl/8.4.0"));
        assert!(
            renderings[0].contains("assumed-role/Responder/<email-"),
            "the principal keeps its role and loses its address:\n{}",
            renderings[0]
        );
    }

    #[test]
    fn the_same_value_gets_the_same_placeholder_and_different_values_differ() {
        let redacted = redact(&noisy_plan());
        let json = render_json(&redacted);
        let value: Value = serde_json::from_str(&json).unwrap();
        let update = &value["cases"][5];
        assert_eq!(update["name"], "payroll-phishing");
        // 198.51.100.7 is in the UpdateCase input and in the change: one placeholder.
        let ip_in_request =
            &update["requests"][0]["input"]["threatActorIpAddressesToAdd"][0]["ipAddress"];
        let ip_in_change = &update["changes"][3]["after"]["ipAddress"];
        assert_eq!(ip_in_request, ip_in_change);
        assert!(ip_in_request.as_str().unwrap().starts_with("<ip-"));
        // The create's 203.0.113.9 is another address: another placeholder.
        let create = &value["cases"][7];
        let other_ip = &create["requests"][0]["input"]["threatActorIpAddresses"][0]["ipAddress"];
        assert_ne!(other_ip, ip_in_request);
        // The note names Bob by the placeholders his watcher entry got.
        let note = update["notes"][0].as_str().unwrap();
        let bob_name = update["requests"][0]["input"]["watchersToAdd"][0]["name"]
            .as_str()
            .unwrap();
        let bob_email = update["requests"][0]["input"]["watchersToAdd"][0]["email"]
            .as_str()
            .unwrap();
        assert_eq!(
            note,
            format!("{bob_name} ({bob_email}) asked for this; see <ip-2>.")
        );
        // Old and new titles differ, so their placeholders do.
        assert_ne!(
            update["changes"][0]["before"],
            update["changes"][0]["after"]
        );
        // The new title is the one UpdateCase sends.
        assert_eq!(
            update["changes"][0]["after"],
            update["requests"][0]["input"]["title"]
        );
    }

    #[test]
    fn placeholders_are_numbered_by_first_appearance_in_plan_order() {
        let redacted = redact(&fixtures::sample_plan());
        // The closed case's title drift comes first: its two titles are <title-1> and <title-2>.
        let update = &redacted.cases[5];
        let crate::request::Request::UpdateCase(input) = &update.requests[0] else {
            panic!("the update starts with UpdateCase");
        };
        assert_eq!(input.title.as_deref(), Some("<title-3>"));
        assert_eq!(input.description.as_deref(), Some("<description-1>"));
        assert_eq!(input.watchers_to_add[0].email, "<email-1>");
        assert_eq!(input.watchers_to_add[0].name.as_deref(), Some("<name-1>"));
        assert_eq!(
            input.watchers_to_add[0].job_title.as_deref(),
            Some("<job-title-1>")
        );
        assert_eq!(
            input.threat_actor_ip_addresses_to_add[0].ip_address,
            "<ip-1>"
        );
        assert_eq!(
            redact(&fixtures::sample_plan()),
            redacted,
            "redaction is deterministic"
        );
    }

    #[test]
    fn the_redacted_description_diff_shows_placeholders_only() {
        let redacted = redact(&fixtures::sample_plan());
        let text = render_text(&redacted, &RenderOptions::default());
        assert!(text.contains("-<description-2>"), "{text}");
        assert!(text.contains("+<description-1>"), "{text}");
        assert!(!text.contains("clerk"));
    }

    #[test]
    fn a_redacted_plan_says_so_and_keeps_no_fingerprint() {
        let redacted = redact(&fixtures::sample_plan());
        assert!(redacted.redacted);
        assert!(
            redacted
                .cases
                .iter()
                .all(|case| case.live_fingerprint.is_none())
        );
        assert_eq!(redacted.summary, fixtures::sample_plan().summary);
    }

    #[test]
    fn free_text_matches_whole_tokens_only_and_never_rescans_placeholders() {
        let mut placeholders = Placeholders::default();
        placeholders.assign(Kind::Name, "Al");
        placeholders.assign(Kind::Name, "Ann");
        placeholders.assign(Kind::Name, "Ann Lee");
        placeholders.assign(Kind::Name, "name");
        let free_text = FreeText::new(&placeholders);
        assert_eq!(
            free_text.replace("Also Al, Ann Lee and Ann Leex, name."),
            "Also <name-1>, <name-3> and <name-2> Leex, <name-4>."
        );
    }

    #[test]
    fn text_outside_the_plan_gets_the_plans_placeholders() {
        let plan = fixtures::sample_plan();
        let redacted = redact(&plan);
        let redactor = Redactor::for_plan(&plan);
        let Request::UpdateCase(input) = &redacted.cases[5].requests[0] else {
            panic!("the update starts with UpdateCase");
        };
        let email = &input.watchers_to_add[0].email;
        assert_eq!(
            redactor.text("UpdateCase failed: ValidationException: bob@example.com is not allowed"),
            format!("UpdateCase failed: ValidationException: {email} is not allowed")
        );
        assert_eq!(redactor.text("nothing to hide"), "nothing to hide");
    }

    #[test]
    fn a_redacted_plan_still_names_every_field_that_changes() {
        let plan = fixtures::sample_plan();
        let redacted = redact(&plan);
        let text = render_text(&redacted, &RenderOptions::default());
        let markdown = render_markdown(&redacted);
        for case in plan.cases.iter().filter(|case| !case.changes.is_empty()) {
            for change in &case.changes {
                if change.field == "status" {
                    continue;
                }
                for rendering in [&text, &markdown] {
                    let section = &rendering[rendering
                        .find(&format!("{} (", case.name))
                        .unwrap_or_else(|| panic!("{} is shown", case.name))..];
                    assert!(
                        section.contains(&format!("{}:", change.field)),
                        "{} of {} is not named:\n{rendering}",
                        change.field,
                        case.name
                    );
                }
            }
        }
    }

    #[test]
    fn tag_keys_named_like_sensitive_members_are_not_members() {
        let mut plan = fixtures::sample_plan();
        plan.cases[5]
            .requests
            .push(Request::TagResource(crate::request::TagResourceInput {
                resource_arn: None,
                tags: [("name".to_string(), "blue-team".to_string())].into(),
            }));
        let redacted = redact(&plan);
        let Request::TagResource(input) = &redacted.cases[5].requests[3] else {
            panic!("the tag request stays");
        };
        assert_eq!(input.tags["name"], "blue-team");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Whatever the watchers, IPs, titles and descriptions, none of them is readable in any
        /// rendering of the redacted plan (values are long enough not to occur by chance).
        #[test]
        fn no_generated_sensitive_value_survives(
            email in "[a-z]{6,12}@[a-z]{6,10}\\.org",
            name in "[A-Z][a-z]{6,10} [A-Z][a-z]{6,10}",
            job_title in "[A-Z][a-z]{8,14}",
            ip in "(10|172|192)\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
            title in "[A-Za-z ]{12,40}[a-z]",
            description in "[A-Za-z .\n]{12,200}[a-z]",
        ) {
            let mut case = fixtures::update_case();
            let crate::request::Request::UpdateCase(input) = &mut case.requests[0] else {
                unreachable!()
            };
            input.title = Some(title.clone());
            input.description = Some(description.clone());
            input.watchers_to_add[0].email = email.clone();
            input.watchers_to_add[0].name = Some(name.clone());
            input.watchers_to_add[0].job_title = Some(job_title.clone());
            input.threat_actor_ip_addresses_to_add[0].ip_address = ip.clone();
            case.changes[0].after = Some(Value::from(title.clone()));
            case.changes[1].after = Some(Value::from(description.clone()));
            case.notes.push(format!("asked by {name} <{email}> from {ip}"));
            let redacted = redact(&Plan::from_cases(vec![case]));
            let renderings = [
                render_text(&redacted, &RenderOptions { color: true }),
                render_json(&redacted),
                render_markdown(&redacted),
            ];
            for rendering in &renderings {
                for value in [&email, &name, &job_title, &title, &description] {
                    proptest::prop_assert!(!rendering.contains(value.as_str()), "{value:?} in {rendering}");
                }
                // An IP is short: check it as a whole token in the JSON strings only.
                let quoted = format!("\"{ip}\"");
                proptest::prop_assert!(!rendering.contains(&quoted), "{ip} in {rendering}");
                let spaced = format!(" {ip}");
                proptest::prop_assert!(!rendering.contains(&spaced), "{ip} in {rendering}");
            }
        }
    }
}
