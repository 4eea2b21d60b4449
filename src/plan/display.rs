//! What a case's change looks like to a person, shared by the text and Markdown renderers so the
//! terminal and the pull request always tell the same story. Only formatting: every fact comes
//! from the `CasePlan`.

use serde_json::Value;

use crate::diff::drift::Cause;
use crate::model::{CaseStatus, SpecField};
use crate::request::Request;

use super::{Action, CasePlan};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sign {
    Add,
    Remove,
    Modify,
}

impl Sign {
    pub(crate) fn symbol(self) -> char {
        match self {
            Sign::Add => '+',
            Sign::Remove => '-',
            Sign::Modify => '~',
        }
    }
}

/// One line (or block) of a case's details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Detail {
    /// `field: value` or `field: before -> after`; values already formatted.
    Field {
        sign: Sign,
        field: SpecField,
        value: String,
        /// The change cannot be undone (resolverType Self -> AWS).
        irreversible: bool,
        /// Who moved the field, when the manifest last applied is known.
        cause: Option<Cause>,
        /// The edits outside git that explain it: `by PRINCIPAL at TIME (ACTION)`.
        edits: Vec<String>,
    },
    /// A description's change as a unified diff (hunks only, no file headers).
    Description { sign: Sign, unified: String },
    /// The status walk, live status first: `Submitted -> Detection and Analysis`.
    Status { path: String },
}

/// The details of a case in the order apply makes them: fields, then the status walk.
pub(crate) fn details(case: &CasePlan) -> Vec<Detail> {
    let mut details = match case.requests.first() {
        Some(Request::CreateCase(_)) if case.changes.is_empty() => create_details(case),
        _ => change_details(case),
    };
    if case.status_path.len() >= 2 {
        details.push(Detail::Status {
            path: status_path_text(&case.status_path),
        });
    }
    details
}

fn change_details(case: &CasePlan) -> Vec<Detail> {
    let mut details = Vec::new();
    for change in &case.changes {
        // The status walk is drawn once, from `status_path`, which shows every step.
        if change.field == SpecField::Status && case.status_path.len() >= 2 {
            continue;
        }
        let sign = match (&change.before, &change.after) {
            (None, _) => Sign::Add,
            (Some(_), None) => Sign::Remove,
            (Some(_), Some(_)) => Sign::Modify,
        };
        if change.field == SpecField::Description
            && let Some(unified) = description_diff(change.before.as_ref(), change.after.as_ref())
        {
            details.push(Detail::Description { sign, unified });
            continue;
        }
        let value = match (&change.before, &change.after) {
            (Some(before), Some(after)) => {
                format!("{} -> {}", inline_value(before), inline_value(after))
            }
            (Some(only), None) | (None, Some(only)) => inline_value(only),
            (None, None) => String::new(),
        };
        details.push(Detail::Field {
            sign,
            field: change.field,
            value,
            irreversible: change.field == SpecField::ResolverType
                && case
                    .requests
                    .iter()
                    .any(|request| matches!(request, Request::UpdateResolverType(_))),
            cause: change.cause,
            edits: change
                .edits
                .iter()
                .map(|edit| {
                    format!(
                        "by {}{} at {} ({})",
                        printable(&edit.principal),
                        if edit.by_sirops { " (sirops)" } else { "" },
                        edit.time.to_rfc3339(),
                        printable(&edit.action)
                    )
                })
                .collect(),
        });
    }
    details
}

/// A create has no "before": show what CreateCase sends, in the manifest's field order.
fn create_details(case: &CasePlan) -> Vec<Detail> {
    let Some(create) = case.requests.first() else {
        return Vec::new();
    };
    let Ok(Value::Object(request)) = serde_json::to_value(create) else {
        return Vec::new();
    };
    let Some(Value::Object(input)) = request.get("input") else {
        return Vec::new();
    };
    let members = SpecField::ALL
        .into_iter()
        .filter(|field| field.definition().sent_on_create)
        .filter_map(|field| Some((field, input.get(field.name())?)));

    let mut details = Vec::new();
    let add = |field: SpecField, value: String| Detail::Field {
        sign: Sign::Add,
        field,
        value,
        irreversible: false,
        cause: None,
        edits: Vec::new(),
    };
    for (member, value) in members {
        match value {
            Value::String(text) if member == SpecField::Description => {
                if let Some(unified) = description_diff(None, Some(&Value::String(text.clone()))) {
                    details.push(Detail::Description {
                        sign: Sign::Add,
                        unified,
                    });
                }
            }
            Value::Array(items) => {
                for item in items {
                    details.push(add(member, inline_value(unwrap_region(item))));
                }
            }
            Value::Object(entries) => {
                for (key, entry) in entries {
                    let mut single = serde_json::Map::new();
                    single.insert(key.clone(), entry.clone());
                    details.push(add(member, inline_value(&Value::Object(single))));
                }
            }
            scalar => details.push(add(member, inline_value(scalar))),
        }
    }
    details
}

/// How a cause reads next to a change: what a reviewer must know about who moved the field.
pub(crate) fn cause_label(cause: Cause) -> &'static str {
    match cause {
        Cause::Change => "change in git",
        Cause::Drift => "drift: edited outside git, apply reverts it",
        Cause::Conflict => "conflict: edited outside git and in git, apply keeps git's",
        Cause::Converged => "converged",
    }
}

/// Regions travel as `{"region": "us-east-1"}`; people write and read `"us-east-1"`.
fn unwrap_region(item: &Value) -> &Value {
    match item {
        Value::Object(fields) if fields.len() == 1 => fields.get("region").unwrap_or(item),
        _ => item,
    }
}

/// The unified diff of two description values, or `None` when either is not text.
fn description_diff(before: Option<&Value>, after: Option<&Value>) -> Option<String> {
    fn text(value: Option<&Value>) -> Option<&str> {
        match value {
            None => Some(""),
            Some(Value::String(text)) => Some(text.as_str()),
            Some(_) => None,
        }
    }
    let (mut before, mut after) = (text(before)?.to_string(), text(after)?.to_string());
    // "No newline at end of file" is news only when the final newline itself changes; when
    // both sides lack it (a one-line value, a placeholder) it would just be noise.
    let ends_open = |text: &str| !text.is_empty() && !text.ends_with('\n');
    if ends_open(&before) && (ends_open(&after) || after.is_empty()) {
        before.push('\n');
        if !after.is_empty() {
            after.push('\n');
        }
    } else if before.is_empty() && ends_open(&after) {
        after.push('\n');
    }
    let unified = similar::TextDiff::from_lines(&before, &after)
        .unified_diff()
        .context_radius(3)
        .to_string();
    Some(printable(&unified))
}

/// A value on one line, as JSON with a space after `:` and `,` so it reads like the manifest.
/// Strings stay quoted, which also escapes any control character a value might carry.
pub(crate) fn inline_value(value: &Value) -> String {
    match value {
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(inline_value).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|(key, value)| {
                    format!("{}: {}", Value::String(key.clone()), inline_value(value))
                })
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        scalar => scalar.to_string(),
    }
}

pub(crate) fn status_path_text(path: &[CaseStatus]) -> String {
    let names: Vec<&str> = path.iter().map(|status| status.as_str()).collect();
    names.join(" -> ")
}

/// `payroll-phishing (1234567890)`, or the bare name before the case exists.
pub(crate) fn case_label(case: &CasePlan) -> String {
    match &case.case_id {
        Some(id) => format!("{} ({})", case.name, id),
        None => case.name.clone(),
    }
}

/// What will happen to the case, completing "payroll-phishing ...".
pub(crate) fn headline(case: &CasePlan) -> String {
    match case.action {
        Action::Create => "will be created".into(),
        Action::Adopt => match &case.adoption {
            Some(adoption) => format!(
                "will be adopted: an existing case, live status {}, that apply tags as this manifest's",
                adoption.live_status
            ),
            None => "will be adopted".into(),
        },
        Action::Update if case.renamed_from.is_some() => {
            "will be renamed and updated in place".into()
        }
        Action::Update => "will be updated in place".into(),
        Action::Close if case.prune => "orphan: will be closed (--prune)".into(),
        Action::Close => "will be closed".into(),
        Action::NoChange if !case.changes.is_empty() => {
            "differs, but apply will not change it".into()
        }
        Action::NoChange => "is up to date".into(),
        Action::Error => "cannot be planned".into(),
    }
}

/// The loud warning for a case with requests that cannot be undone, naming each.
pub(crate) fn irreversible_warning(case: &CasePlan) -> Option<String> {
    let warnings: Vec<String> = case
        .irreversible_requests()
        .map(|request| match request {
            Request::UpdateResolverType(input) => format!(
                "resolverType becomes {}; AWS responders take over and the API cannot change it back",
                input.resolver_type
            ),
            Request::CloseCase(_) if case.prune => {
                "closes the case, whose manifest is gone (--prune); a closed case cannot be reopened".to_string()
            }
            _ => "closes the case; a closed case cannot be reopened".to_string(),
        })
        .collect();
    (!warnings.is_empty()).then(|| format!("IRREVERSIBLE: {}", warnings.join("; and ")))
}

/// Text with control characters written as escapes, so a value can neither move the terminal
/// cursor nor end a Markdown line or fence early. Newlines and tabs are kept.
pub(crate) fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        if character.is_control() && character != '\n' && character != '\t' {
            out.extend(character.escape_default());
        } else {
            out.push(character);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::fixtures;

    #[test]
    fn inline_values_read_like_the_manifest() {
        let value = serde_json::json!({"email": "bob@example.com", "name": "Bob"});
        assert_eq!(
            inline_value(&value),
            r#"{"email": "bob@example.com", "name": "Bob"}"#
        );
        assert_eq!(
            inline_value(&serde_json::json!("a\u{1b}b")),
            r#""a\u001bb""#
        );
    }

    #[test]
    fn control_characters_are_escaped_but_lines_are_kept() {
        assert_eq!(printable("a\u{1b}[31mb\r\nc\td"), "a\\u{1b}[31mb\\r\nc\td");
    }

    #[test]
    fn a_missing_final_newline_is_mentioned_only_when_it_changes() {
        let diff = |before: &str, after: &str| {
            description_diff(Some(&Value::from(before)), Some(&Value::from(after))).unwrap()
        };
        assert_eq!(diff("old", "new"), "@@ -1 +1 @@\n-old\n+new\n");
        assert_eq!(diff("", "new"), "@@ -0,0 +1 @@\n+new\n");
        assert!(diff("same\n", "same").contains("No newline at end of file"));
    }

    #[test]
    fn a_status_change_is_drawn_once_from_the_path() {
        let mut case = fixtures::update_case();
        case.changes.push(crate::diff::FieldChange {
            field: SpecField::Status,
            kind: crate::diff::ChangeKind::Modify,
            before: Some(serde_json::json!("Submitted")),
            after: Some(serde_json::json!("Post-incident Activities")),
            cause: None,
            edits: Vec::new(),
        });
        let statuses = details(&case)
            .into_iter()
            .filter(|detail| {
                matches!(detail, Detail::Status { .. })
                    || matches!(detail, Detail::Field { field, .. } if field == "status")
            })
            .count();
        assert_eq!(statuses, 1);
    }

    #[test]
    fn a_create_shows_what_create_case_sends() {
        let details = details(&fixtures::create_case());
        assert!(details.contains(&Detail::Field {
            sign: Sign::Add,
            field: SpecField::Title,
            value: r#""Suspicious logins from a Tor exit""#.into(),
            irreversible: false,
            cause: None,
            edits: Vec::new(),
        }));
        assert!(details.iter().any(|detail| matches!(
            detail,
            Detail::Description {
                sign: Sign::Add,
                ..
            }
        )));
        assert!(
            !details.iter().any(
                |detail| matches!(detail, Detail::Field { field, .. } if field == "clientToken")
            )
        );
    }
}
