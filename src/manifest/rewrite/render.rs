//! The new value of a field, checked against the field's form and written as block-style YAML
//! that reads back as exactly that value, with any YAML reader: plain scalars only where no
//! schema (YAML 1.1 or 1.2) could take them for anything but a string.

use std::sync::LazyLock;

use regex::Regex;

use super::RewriteError;
use crate::model::SpecField;

/// A value in the shapes a manifest's spec uses; maps keep the order they are written in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Value {
    Text(String),
    List(Vec<Value>),
    Map(Vec<(String, Value)>),
}

/// The members of a list item, in the order a manifest writes them; the first is required.
const WATCHER_MEMBERS: [&str; 3] = ["email", "name", "jobTitle"];
const THREAT_ACTOR_IP_MEMBERS: [&str; 2] = ["ipAddress", "userAgent"];

impl Value {
    /// `json` as the value of `field`, refused when it is not the field's form.
    pub(super) fn of_field(
        field: SpecField,
        json: &serde_json::Value,
    ) -> Result<Value, RewriteError> {
        let invalid = |expected: &str| RewriteError::InvalidValue {
            field,
            reason: format!("expected {expected}, found {}", describe(json)),
        };
        match field {
            SpecField::Title
            | SpecField::Description
            | SpecField::EngagementType
            | SpecField::ResolverType
            | SpecField::Status
            | SpecField::ReportedIncidentStartDate
            | SpecField::ActualIncidentStartDate => text(json).ok_or_else(|| invalid("a string")),
            SpecField::ImpactedServices
            | SpecField::ImpactedAwsRegions
            | SpecField::ImpactedAccounts => {
                let items = json
                    .as_array()
                    .ok_or_else(|| invalid("a list of strings"))?;
                let mut list = Vec::with_capacity(items.len());
                for (index, item) in items.iter().enumerate() {
                    list.push(text(item).ok_or_else(|| RewriteError::InvalidValue {
                        field,
                        reason: format!(
                            "expected a list of strings, but item {index} is {}",
                            describe(item)
                        ),
                    })?);
                }
                Ok(Value::List(list))
            }
            SpecField::Watchers => items_with_members(field, json, &WATCHER_MEMBERS),
            SpecField::ThreatActorIpAddresses => {
                items_with_members(field, json, &THREAT_ACTOR_IP_MEMBERS)
            }
            SpecField::CaseMetadata | SpecField::Tags => {
                let map = json
                    .as_object()
                    .ok_or_else(|| invalid("a map of strings to strings"))?;
                let mut entries = Vec::with_capacity(map.len());
                for (key, value) in map {
                    entries.push((
                        key.clone(),
                        text(value).ok_or_else(|| RewriteError::InvalidValue {
                            field,
                            reason: format!(
                                "expected a map of strings to strings, but the value of {key:?} is {}",
                                describe(value)
                            ),
                        })?,
                    ));
                }
                Ok(Value::Map(entries))
            }
        }
    }
}

fn text(json: &serde_json::Value) -> Option<Value> {
    json.as_str().map(|text| Value::Text(text.to_string()))
}

fn describe(json: &serde_json::Value) -> &'static str {
    match json {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "a map",
    }
}

/// A list of objects whose members are strings named in `members`, the first one required.
fn items_with_members(
    field: SpecField,
    json: &serde_json::Value,
    members: &[&str],
) -> Result<Value, RewriteError> {
    let shape = format!(
        "a list of objects with a string `{}` and optionally {}",
        members[0],
        members[1..]
            .iter()
            .map(|member| format!("`{member}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let invalid = || RewriteError::InvalidValue {
        field,
        reason: format!("expected {shape}"),
    };
    let items = json.as_array().ok_or_else(invalid)?;
    let mut list = Vec::with_capacity(items.len());
    for item in items {
        let object = item.as_object().ok_or_else(invalid)?;
        if object.keys().any(|key| !members.contains(&key.as_str())) {
            return Err(invalid());
        }
        let mut entries = Vec::with_capacity(object.len());
        for member in members {
            match object.get(*member) {
                Some(value) => entries.push((member.to_string(), text(value).ok_or_else(invalid)?)),
                None if *member == members[0] => return Err(invalid()),
                None => {}
            }
        }
        list.push(Value::Map(entries));
    }
    Ok(Value::List(list))
}

/// What replaces a value: the text right after the key's colon (` foo`, ` |-`, or nothing
/// before a block collection) and the whole lines that follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Rendered {
    pub after_colon: String,
    pub lines: Vec<String>,
}

/// How block-style text is laid out: nested levels are indented `step` further, and literal
/// blocks are written only when `blocks_allowed` (a comment indented below the value would
/// otherwise be read as the block's last line).
#[derive(Debug, Clone, Copy)]
pub(super) struct Layout {
    pub step: usize,
    pub blocks_allowed: bool,
}

/// `value` as the value of a key (or list item) indented by `indent`.
pub(super) fn render(value: &Value, indent: usize, layout: Layout) -> Rendered {
    let step = layout.step;
    match value {
        Value::Text(text) => render_text(text, indent + step, layout.blocks_allowed),
        Value::List(items) if items.is_empty() => inline(" []"),
        Value::Map(entries) if entries.is_empty() => inline(" {}"),
        Value::List(items) => {
            let item_indent = indent + step;
            let dash = format!("{}-", " ".repeat(item_indent));
            let mut lines = Vec::new();
            for item in items {
                match item {
                    Value::Map(entries) if !entries.is_empty() => {
                        // `- ` then the entries, aligned after the dash.
                        let entry_indent = item_indent + 2;
                        for (index, (key, value)) in entries.iter().enumerate() {
                            let prefix = if index == 0 {
                                format!("{dash} ")
                            } else {
                                " ".repeat(entry_indent)
                            };
                            push_entry(&mut lines, &prefix, key, value, entry_indent, layout);
                        }
                    }
                    _ => {
                        let rendered = render(item, item_indent, layout);
                        lines.push(format!("{dash}{}", rendered.after_colon));
                        lines.extend(rendered.lines);
                    }
                }
            }
            Rendered {
                after_colon: String::new(),
                lines,
            }
        }
        Value::Map(entries) => {
            let entry_indent = indent + step;
            let prefix = " ".repeat(entry_indent);
            let mut lines = Vec::new();
            for (key, value) in entries {
                push_entry(&mut lines, &prefix, key, value, entry_indent, layout);
            }
            Rendered {
                after_colon: String::new(),
                lines,
            }
        }
    }
}

fn push_entry(
    lines: &mut Vec<String>,
    prefix: &str,
    key: &str,
    value: &Value,
    indent: usize,
    layout: Layout,
) {
    let rendered = render(value, indent, layout);
    lines.push(format!(
        "{prefix}{}:{}",
        scalar_key(key),
        rendered.after_colon
    ));
    lines.extend(rendered.lines);
}

fn inline(text: &str) -> Rendered {
    Rendered {
        after_colon: text.to_string(),
        lines: Vec::new(),
    }
}

/// A string plain when that is safe, as a literal block (content at `content_indent`) when it
/// has several lines a block keeps exactly, else double-quoted.
fn render_text(text: &str, content_indent: usize, blocks_allowed: bool) -> Rendered {
    if is_plain_safe(text) {
        return inline(&format!(" {text}"));
    }
    if blocks_allowed && is_block_safe(text) {
        let (body, header) = match text.strip_suffix('\n') {
            Some(body) => (body, " |"),
            None => (text, " |-"),
        };
        let indent = " ".repeat(content_indent);
        let lines = body
            .split('\n')
            .map(|line| {
                if line.is_empty() {
                    String::new()
                } else {
                    format!("{indent}{line}")
                }
            })
            .collect();
        return Rendered {
            after_colon: header.to_string(),
            lines,
        };
    }
    inline(&format!(" {}", double_quoted(text)))
}

/// A mapping key: plain when safe, else double-quoted (never a block, which cannot be a key).
pub(super) fn scalar_key(key: &str) -> String {
    if is_plain_safe(key) {
        key.to_string()
    } else {
        double_quoted(key)
    }
}

/// Printable characters a plain scalar or a block may hold as they are: YAML's printable set
/// without the characters YAML 1.1 reads as line breaks and the byte order mark.
fn is_printable(character: char) -> bool {
    matches!(character, ' '..='~' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
        && !matches!(character, '\u{2028}' | '\u{2029}' | '\u{FEFF}')
}

/// Plain scalars that some YAML schema reads as null, a boolean, a number, a merge key or a
/// value key rather than as a string: the union of YAML 1.1's and 1.2's core resolvers, kept
/// broad on purpose (a needless quote costs nothing).
static NOT_A_STRING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^(?:~|null|Null|NULL",
        r"|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
        r"|<<|=",
        r"|[-+]?(?:0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+",
        r"|[0-9][0-9_]*(?::[0-5]?[0-9])*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?",
        r"|\.[0-9_]+(?:[eE][-+]?[0-9]+)?|\.(?:inf|Inf|INF))",
        r"|\.(?:nan|NaN|NAN))$",
    ))
    .expect("the pattern is valid")
});

/// A string that, written plain after `key: ` or `- ` in block style, reads back as itself.
pub(super) fn is_plain_safe(text: &str) -> bool {
    const INDICATORS: &[char] = &[
        '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@',
        '`',
    ];
    let Some(first) = text.chars().next() else {
        return false;
    };
    !INDICATORS.contains(&first)
        && !text.starts_with(' ')
        && !text.ends_with(' ')
        && !text.ends_with(':')
        && !text.starts_with("...")
        && !text.contains(": ")
        && !text.contains(" #")
        && text.chars().all(is_printable)
        && !NOT_A_STRING.is_match(text)
}

/// A string of several lines that a literal block (`|`, or `|-` without a final newline)
/// keeps exactly: printable, at most one final newline, at least one non-empty line, the
/// first of which does not start with a space (that would need an indentation indicator),
/// and no line that starts with a tab or ends with blanks (both survive, but editors and
/// YAML readers disagree about them).
fn is_block_safe(text: &str) -> bool {
    let body = text.strip_suffix('\n').unwrap_or(text);
    if !text.contains('\n') || body.ends_with('\n') || body.trim_matches('\n').is_empty() {
        return false;
    }
    let printable = body
        .chars()
        .all(|character| character == '\n' || character == '\t' || is_printable(character));
    let first_line_unindented = body
        .split('\n')
        .find(|line| !line.is_empty())
        .is_some_and(|line| !line.starts_with(' '));
    printable
        && first_line_unindented
        && body
            .split('\n')
            .all(|line| !line.starts_with('\t') && !line.ends_with(' ') && !line.ends_with('\t'))
}

/// `text` double-quoted, with every character that is not printable escaped.
pub(super) fn double_quoted(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for character in text.chars() {
        match character {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\0' => quoted.push_str("\\0"),
            '\t' => quoted.push_str("\\t"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\u{1B}' => quoted.push_str("\\e"),
            '\u{85}' => quoted.push_str("\\N"),
            '\u{2028}' => quoted.push_str("\\L"),
            '\u{2029}' => quoted.push_str("\\P"),
            character if is_printable(character) => quoted.push(character),
            character if u32::from(character) <= 0xFF => {
                quoted.push_str(&format!("\\x{:02X}", u32::from(character)));
            }
            character => quoted.push_str(&format!("\\u{:04X}", u32::from(character))),
        }
    }
    quoted.push('"');
    quoted
}
