//! The events `reconcile` sends to `--notify` URLs, and their two payloads: sirops's own JSON
//! (documented in the reference as format version 1) and a Slack-compatible message.
//!
//! An event carries field names, principals, times and error lines, never a field's value: a
//! notification goes to chat rooms and ticket systems that are not the place for a watcher's
//! address or a threat actor's IP. With redaction on (the default), what could still hold one
//! (principals, error lines, manifest diagnostics) is scrubbed too.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::diff::drift::Cause;
use crate::model::{SpecField, Timestamp};
use crate::plan::{CasePlan, email_address};

/// The version of the JSON payload; a change that renames or removes a field bumps it.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    DriftDetected,
    DriftResolved,
    ApplyFailed,
    ApplyRecovered,
    ManifestsInvalid,
    ManifestsFixed,
    ServiceUnreachable,
    ServiceRecovered,
    RoundFailed,
    RoundRecovered,
    /// A problem still open after `--notify-repeat`.
    Reminder,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseRef {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
}

/// One field that moved behind git's back, and who moved it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftedField {
    pub field: SpecField,
    pub cause: Cause,
    pub edits: Vec<EditRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EditRef {
    pub principal: String,
    pub time: Timestamp,
    pub action: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub format_version: u32,
    pub event: EventKind,
    pub time: Timestamp,
    /// One line for people.
    pub summary: String,
    /// For reminders and resolutions: the kind of the problem they are about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<EventKind>,
    /// When the problem began, for reminders, resolutions and changed problems.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<CaseRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<DriftedField>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

impl Event {
    fn new(event: EventKind, time: Timestamp, summary: String) -> Event {
        Event {
            format_version: FORMAT_VERSION,
            event,
            time,
            summary,
            problem: None,
            since: None,
            case: None,
            fields: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Drift (and conflicts) on one case of the plan; `None` when it has none. `self_heal`
    /// says whether this round reverts it.
    pub fn drift(case: &CasePlan, self_heal: bool, scrub: bool, time: Timestamp) -> Option<Event> {
        let fields: Vec<DriftedField> = case
            .changes
            .iter()
            .filter_map(|change| {
                let cause = change.cause.filter(|cause| cause.is_drift())?;
                Some(DriftedField {
                    field: change.field,
                    cause,
                    edits: change
                        .edits
                        .iter()
                        .map(|edit| EditRef {
                            principal: scrubbed(&edit.principal, scrub),
                            time: edit.time,
                            action: edit.action.clone(),
                        })
                        .collect(),
                })
            })
            .collect();
        if fields.is_empty() || !case.has_changes() {
            return None;
        }
        let names: Vec<String> = fields
            .iter()
            .map(|field| match field.cause {
                Cause::Conflict => format!("{} (conflict)", field.field.name()),
                _ => field.field.name().to_string(),
            })
            .collect();
        let mut principals: Vec<&str> = fields
            .iter()
            .flat_map(|field| &field.edits)
            .map(|edit| edit.principal.as_str())
            .collect();
        principals.sort_unstable();
        principals.dedup();
        let by = if principals.is_empty() {
            String::new()
        } else {
            format!(" by {}", principals.join(", "))
        };
        let action = if self_heal {
            "reverting it to git"
        } else {
            "left for review"
        };
        let mut event = Event::new(
            EventKind::DriftDetected,
            time,
            format!(
                "{} edited outside git{by}: {}; {action}",
                describe_case(case),
                names.join(", ")
            ),
        );
        event.case = Some(case_ref(case));
        event.fields = fields;
        Some(event)
    }

    pub fn apply_failed(case: &CasePlan, error: &str, scrub: bool, time: Timestamp) -> Event {
        let error = scrubbed(error, scrub);
        let mut event = Event::new(
            EventKind::ApplyFailed,
            time,
            format!("apply failed for {}: {error}", describe_case(case)),
        );
        event.case = Some(case_ref(case));
        event.errors = vec![error];
        event
    }

    /// `problems`: one line per diagnostic, `file:line:column: message`.
    pub fn manifests_invalid(problems: &[String], scrub: bool, time: Timestamp) -> Event {
        let errors: Vec<String> = problems
            .iter()
            .map(|problem| scrubbed(problem, scrub))
            .collect();
        let first = errors.first().cloned().unwrap_or_default();
        let mut event = Event::new(
            EventKind::ManifestsInvalid,
            time,
            format!(
                "{}; nothing is planned or applied until they are fixed: {first}",
                crate::plan::plural(errors.len(), "manifest problem")
            ),
        );
        event.errors = errors;
        event
    }

    pub fn service_unreachable(error: &str, scrub: bool, time: Timestamp) -> Event {
        let error = scrubbed(error, scrub);
        let mut event = Event::new(EventKind::ServiceUnreachable, time, error.clone());
        event.errors = vec![error];
        event
    }

    pub fn round_failed(error: &str, scrub: bool, time: Timestamp) -> Event {
        let error = scrubbed(error, scrub);
        let mut event = Event::new(EventKind::RoundFailed, time, error.clone());
        event.errors = vec![error];
        event
    }

    /// Whether `other` tells the same problem: the same kind, case, fields and errors, whatever
    /// the time or who edited since.
    pub fn same_problem(&self, other: &Event) -> bool {
        let shape = |event: &Event| {
            (
                event.event,
                event.case.clone(),
                event
                    .fields
                    .iter()
                    .map(|field| (field.field, field.cause))
                    .collect::<Vec<_>>(),
                event.errors.clone(),
            )
        };
        shape(self) == shape(other)
    }

    /// The problem this event told has ended.
    pub fn resolved(&self, kind: EventKind, since: Timestamp, time: Timestamp) -> Event {
        Event {
            event: kind,
            time,
            summary: format!("resolved: {}", self.summary),
            problem: Some(self.event),
            since: Some(since),
            ..self.clone()
        }
    }

    /// The problem this event told is still open.
    pub fn reminder(&self, since: Timestamp, time: Timestamp) -> Event {
        Event {
            event: EventKind::Reminder,
            time,
            summary: format!("still open since {}: {}", since.to_rfc3339(), self.summary),
            problem: Some(self.event),
            since: Some(since),
            ..self.clone()
        }
    }

    pub fn with_since(mut self, since: Timestamp) -> Event {
        self.since = Some(since);
        self
    }

    /// True for the events that tell of a problem, as opposed to its end.
    pub fn is_problem(&self) -> bool {
        !matches!(
            self.event,
            EventKind::DriftResolved
                | EventKind::ApplyRecovered
                | EventKind::ManifestsFixed
                | EventKind::ServiceRecovered
                | EventKind::RoundRecovered
        )
    }

    /// sirops's JSON payload.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("an event always serialises")
    }

    /// A Slack incoming-webhook message: `text` for notifications and clients without blocks,
    /// and the details as a list.
    pub fn to_slack(&self) -> Value {
        let marker = if self.is_problem() {
            ":warning:"
        } else {
            ":white_check_mark:"
        };
        let headline = format!("{marker} sirops: {}", slack_escape(&self.summary));
        let mut details: Vec<String> = Vec::new();
        for field in &self.fields {
            let who: Vec<String> = field
                .edits
                .iter()
                .map(|edit| {
                    format!(
                        "{} at {} ({})",
                        slack_escape(&edit.principal),
                        edit.time.to_rfc3339(),
                        slack_escape(&edit.action)
                    )
                })
                .collect();
            details.push(format!(
                "• `{}` {}{}",
                field.field.name(),
                match field.cause {
                    Cause::Conflict => "conflict",
                    _ => "drift",
                },
                if who.is_empty() {
                    String::new()
                } else {
                    format!(": {}", who.join("; "))
                }
            ));
        }
        for error in self.errors.iter().skip(1) {
            details.push(format!("• {}", slack_escape(error)));
        }
        let mut blocks = vec![json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": headline},
        })];
        if !details.is_empty() {
            blocks.push(json!({
                "type": "section",
                "text": {"type": "mrkdwn", "text": details.join("\n")},
            }));
        }
        json!({"text": headline, "blocks": blocks})
    }
}

fn describe_case(case: &CasePlan) -> String {
    match &case.case_id {
        Some(id) => format!("case {} ({id})", case.name),
        None => format!("case {}", case.name),
    }
}

fn case_ref(case: &CasePlan) -> CaseRef {
    CaseRef {
        name: case.name.clone(),
        case_id: case.case_id.clone(),
    }
}

/// Slack reads `<`, `>` and `&` as markup.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn scrubbed(text: &str, scrub: bool) -> String {
    if scrub {
        scrub_addresses(text)
    } else {
        text.to_string()
    }
}

/// `text` with anything shaped like an email address or an IP address replaced: free text
/// (an error the service echoed, a diagnostic quoting a manifest) may hold a watcher's address
/// or a threat actor's IP that no placeholder table knows.
pub fn scrub_addresses(text: &str) -> String {
    static IP_ADDRESSES: std::sync::OnceLock<[regex::Regex; 2]> = std::sync::OnceLock::new();
    let ip_addresses = IP_ADDRESSES.get_or_init(|| {
        let pattern = |text: &str| regex::Regex::new(text).expect("the pattern compiles");
        [
            pattern(r"\b(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?\b"),
            // Full IPv6, or compressed with `::` after at least one group. Times (`10:05:03`)
            // and ARNs (`iam::123456789012`) have no hex group before a `::`.
            pattern(
                r"(?i)\b(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){7}|(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,5})?)(?:/\d{1,3})?",
            ),
        ]
    });
    let mut text = email_address().replace_all(text, "<email>").into_owned();
    for pattern in ip_addresses {
        text = pattern.replace_all(&text, "<ip>").into_owned();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CaseEdit;
    use crate::plan::fixtures;

    fn time() -> Timestamp {
        Timestamp::from_epoch_millis(1_800_000_000_000)
    }

    /// The fixture's update, with its watchers edited in the console by a federated user.
    fn drifted_case() -> CasePlan {
        let mut case = fixtures::update_case();
        for change in &mut case.changes {
            change.cause = Some(Cause::Change);
        }
        let watchers = case
            .changes
            .iter_mut()
            .find(|change| change.field == SpecField::Watchers)
            .expect("the fixture changes watchers");
        watchers.cause = Some(Cause::Drift);
        watchers.edits = vec![CaseEdit {
            time: time(),
            principal: "arn:aws:sts::123456789012:assumed-role/Responder/dana@example.com".into(),
            action: "WatchersUpdated".into(),
            message: "Watcher bob@example.com added".into(),
            by_sirops: false,
        }];
        case
    }

    #[test]
    fn a_drift_event_names_fields_principals_and_times_but_no_values() {
        let event = Event::drift(&drifted_case(), true, true, time()).unwrap();
        assert_eq!(event.event, EventKind::DriftDetected);
        assert_eq!(event.fields.len(), 1);
        assert_eq!(event.fields[0].field, SpecField::Watchers);
        let json = event.to_json().to_string();
        assert!(
            json.contains(
                r#""principal":"arn:aws:sts::123456789012:assumed-role/Responder/<email>""#
            ),
            "{json}"
        );
        assert!(json.contains(r#""field":"watchers""#), "{json}");
        assert!(json.contains(r#""formatVersion":1"#), "{json}");
        assert!(json.contains("reverting it to git"), "{json}");
        for value in [
            "dana@example.com",
            "bob@example.com",
            "198.51.100.7",
            "Bob Stone",
        ] {
            assert!(!json.contains(value), "{value} in {json}");
            assert!(
                !event.to_slack().to_string().contains(value),
                "{value} in Slack"
            );
        }
        let unscrubbed = Event::drift(&drifted_case(), false, false, time()).unwrap();
        assert!(
            unscrubbed
                .to_json()
                .to_string()
                .contains("dana@example.com")
        );
        assert!(unscrubbed.summary.contains("left for review"));
    }

    #[test]
    fn a_case_without_drift_has_no_drift_event() {
        let mut case = drifted_case();
        for change in &mut case.changes {
            change.cause = Some(Cause::Change);
        }
        assert_eq!(Event::drift(&case, false, true, time()), None);
        assert_eq!(
            Event::drift(&fixtures::unchanged_case("quiet"), false, true, time()),
            None
        );
    }

    #[test]
    fn slack_gets_text_and_blocks_with_its_markup_escaped() {
        let event = Event::round_failed("--prune would close <3> cases & more", false, time());
        let slack = event.to_slack();
        let text = slack["text"].as_str().unwrap();
        assert!(text.starts_with(":warning: sirops: "), "{text}");
        assert!(text.contains("&lt;3&gt; cases &amp; more"), "{text}");
        assert_eq!(slack["blocks"][0]["text"]["type"], "mrkdwn");
        let resolved = event.resolved(EventKind::RoundRecovered, time(), time());
        assert!(
            resolved.to_slack()["text"]
                .as_str()
                .unwrap()
                .starts_with(":white_check_mark:")
        );
        let drift = Event::drift(&drifted_case(), false, true, time()).unwrap();
        let details = drift.to_slack()["blocks"][1]["text"]["text"].to_string();
        assert!(details.contains("`watchers` drift"), "{details}");
        assert!(details.contains("WatchersUpdated"), "{details}");
    }

    #[test]
    fn addresses_are_scrubbed_and_times_and_arns_are_not() {
        for (text, expected) in [
            ("watcher bob@example.com refused", "watcher <email> refused"),
            ("from 198.51.100.7 and 10.0.0.0/8", "from <ip> and <ip>"),
            ("ip 2001:db8::1 seen", "ip <ip> seen"),
            ("ip 2001:0db8:0000:0000:0000:ff00:0042:8329", "ip <ip>"),
            ("at 2026-11-20T08:00:05Z", "at 2026-11-20T08:00:05Z"),
            (
                "by arn:aws:iam::123456789012:user/alice",
                "by arn:aws:iam::123456789012:user/alice",
            ),
            ("case 1234567890 at 10:05:03", "case 1234567890 at 10:05:03"),
        ] {
            assert_eq!(scrub_addresses(text), expected, "{text}");
        }
    }

    #[test]
    fn the_same_problem_ignores_time_and_editors_but_not_fields() {
        let first = Event::drift(&drifted_case(), false, true, time()).unwrap();
        let mut later_case = drifted_case();
        for change in &mut later_case.changes {
            change.edits.clear();
        }
        let later = Event::drift(
            &later_case,
            false,
            true,
            Timestamp::from_epoch_millis(1_800_000_060_000),
        )
        .unwrap();
        assert!(first.same_problem(&later));
        let mut wider_case = drifted_case();
        wider_case.changes[0].cause = Some(Cause::Conflict);
        let wider = Event::drift(&wider_case, false, true, time()).unwrap();
        assert!(!first.same_problem(&wider));
    }
}
