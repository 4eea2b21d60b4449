//! Typed reading of the located tree: "expected a list, found a string", unknown and missing
//! keys, lengths and duplicates, each reported at the node it concerns. The walk never stops at
//! the first problem; callers get `None` for a value that was wrong and carry on.

use std::collections::HashMap;

use super::diagnostic::{Severity, shortened};
use super::suggest;
use super::yaml::{Node, NodeKind, Position, ScalarStyle};

/// A diagnostic before it knows its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub position: Position,
    pub severity: Severity,
    pub message: String,
    pub hint: Option<String>,
}

impl Problem {
    pub(crate) fn new(
        severity: Severity,
        position: Position,
        message: String,
        hint: Option<String>,
    ) -> Self {
        Problem {
            position,
            severity,
            message,
            hint,
        }
    }

    /// The problem as a diagnostic of `file`.
    pub(crate) fn in_file(self, file: &std::path::Path) -> super::Diagnostic {
        super::Diagnostic {
            file: file.to_path_buf(),
            line: self.position.line,
            column: self.position.column,
            severity: self.severity,
            message: self.message,
            hint: self.hint,
        }
    }
}

/// The keys of one mapping that passed the key checks, by name.
pub(crate) struct Fields<'a> {
    entries: Vec<(&'a str, &'a Node)>,
}

impl<'a> Fields<'a> {
    pub(crate) fn get(&self, name: &str) -> Option<&'a Node> {
        self.entries
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| *value)
    }
}

#[derive(Default)]
pub(crate) struct Checker {
    pub problems: Vec<Problem>,
}

impl Checker {
    pub(crate) fn error(&mut self, position: Position, message: String, hint: Option<String>) {
        self.problems
            .push(Problem::new(Severity::Error, position, message, hint));
    }

    pub(crate) fn warning(&mut self, position: Position, message: String, hint: Option<String>) {
        self.problems
            .push(Problem::new(Severity::Warning, position, message, hint));
    }

    pub(crate) fn error_count(&self) -> usize {
        self.problems
            .iter()
            .filter(|problem| problem.severity == Severity::Error)
            .count()
    }

    fn wrong_type(&mut self, node: &Node, path: &str, expected: &str, hint: Option<String>) {
        let subject = named(path, "the document", |path| format!("`{path}`"));
        self.error(
            node.position,
            format!("{subject}: expected {expected}, found {}", node.describe()),
            hint,
        );
    }

    /// The entries of a mapping with scalar keys, each key once; `None` if `node` is not one.
    pub(crate) fn mapping<'a>(
        &mut self,
        node: &'a Node,
        path: &str,
    ) -> Option<Vec<(&'a str, &'a Node, &'a Node)>> {
        let NodeKind::Mapping(entries) = &node.kind else {
            self.wrong_type(node, path, "a mapping", None);
            return None;
        };
        let mut first_line: HashMap<&str, usize> = HashMap::new();
        let mut result = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            let NodeKind::Scalar { text, .. } = &key.kind else {
                self.error(
                    key.position,
                    format!(
                        "`{path}`: keys must be plain names, found {}",
                        key.describe()
                    ),
                    None,
                );
                continue;
            };
            if let Some(line) = first_line.get(text.as_str()) {
                self.error(
                    key.position,
                    format!(
                        "`{path}` has the key `{}` twice; the first is on line {line}",
                        shortened(text)
                    ),
                    Some("keep one of them".into()),
                );
                continue;
            }
            first_line.insert(text, key.position.line);
            result.push((text.as_str(), key, value));
        }
        Some(result)
    }

    /// A mapping whose keys must be among `allowed`, with `required` present.
    pub(crate) fn fields<'a>(
        &mut self,
        node: &'a Node,
        path: &str,
        allowed: &[&str],
        required: &[&str],
    ) -> Option<Fields<'a>> {
        let entries = self.mapping(node, path)?;
        let mut fields = Fields {
            entries: Vec::with_capacity(entries.len()),
        };
        for (name, key, value) in entries {
            if allowed.contains(&name) {
                fields.entries.push((name, value));
            } else {
                let place = named(path, "at the top level", |path| format!("in `{path}`"));
                self.error(
                    key.position,
                    format!("unknown field `{}` {place}", shortened(name)),
                    Some(suggest::hint(name, allowed)),
                );
            }
        }
        for name in required {
            if fields.get(name).is_none() {
                let owner = named(path, "the manifest", |path| format!("`{path}`"));
                self.error(
                    node.position,
                    format!("{owner} is missing the required field `{name}`"),
                    None,
                );
            }
        }
        Some(fields)
    }

    /// The text of a scalar; null and collections are errors.
    pub(crate) fn text<'a>(&mut self, node: &'a Node, path: &str) -> Option<&'a str> {
        match &node.kind {
            NodeKind::Scalar { text, .. } if !node.is_null() => Some(text),
            _ => {
                self.wrong_type(node, path, "a string", None);
                None
            }
        }
    }

    /// The text of a scalar within `min..=max` characters (the API counts characters).
    pub(crate) fn bounded_text<'a>(
        &mut self,
        node: &'a Node,
        path: &str,
        (min, max): (usize, usize),
    ) -> Option<&'a str> {
        let text = self.text(node, path)?;
        self.check_length(node, &format!("`{path}`"), text, (min, max))
            .then_some(text)
    }

    /// `subject` names the value in the message, e.g. "`spec.title`".
    pub(crate) fn check_length(
        &mut self,
        node: &Node,
        subject: &str,
        text: &str,
        (min, max): (usize, usize),
    ) -> bool {
        // Counting stops past `max`, so a 10 MB value costs no more than a short one.
        let length = text.chars().take(max + 1).count();
        if length < min {
            let message = if length == 0 {
                format!("{subject} is empty")
            } else {
                format!("{subject} is {length} characters long")
            };
            self.error(
                node.position,
                message,
                Some(match min {
                    1 => "write at least 1 character".to_string(),
                    _ => format!("write at least {min} characters"),
                }),
            );
            false
        } else if length > max {
            self.error(
                node.position,
                format!("{subject} is longer than {max} characters"),
                Some(format!("shorten it to at most {max} characters")),
            );
            false
        } else {
            true
        }
    }

    /// The items of a list of at most `max` items (more is reported and the items still read).
    pub(crate) fn list<'a>(
        &mut self,
        node: &'a Node,
        path: &str,
        max: usize,
    ) -> Option<&'a [Node]> {
        let NodeKind::Sequence(items) = &node.kind else {
            let hint = node.is_null().then(|| {
                format!("write `{}: []` to manage an empty list, or remove the key to leave it unmanaged", last_segment(path))
            });
            self.wrong_type(node, path, "a list", hint);
            return None;
        };
        if items.len() > max {
            self.error(
                node.position,
                format!(
                    "`{path}` has {} items; the API allows at most {max}",
                    items.len()
                ),
                Some(format!("remove {} of them", items.len() - max)),
            );
        }
        Some(items)
    }

    /// Reports `key` when an earlier item of the same list had it.
    pub(crate) fn check_unique(
        &mut self,
        seen: &mut HashMap<String, Position>,
        key: String,
        node: &Node,
        path: &str,
        what: &str,
    ) {
        match seen.get(&key) {
            Some(first) => self.error(
                node.position,
                if first.line == node.position.line {
                    format!(
                        "`{path}` lists {what} twice; the first is on this line, column {}",
                        first.column
                    )
                } else {
                    format!(
                        "`{path}` lists {what} twice; the first is on line {}",
                        first.line
                    )
                },
                Some("a manifest says each thing once: remove this one".into()),
            ),
            None => {
                seen.insert(key, node.position);
            }
        }
    }
}

/// A plain scalar of digits: YAML reads it as a number, and other YAML tools may drop its
/// leading zeros or round it.
pub(crate) fn is_plain_number(node: &Node) -> bool {
    matches!(&node.kind, NodeKind::Scalar { text, style: ScalarStyle::Plain }
        if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()))
}

/// How a message names the value at `path`: `top` for the document itself (an empty path).
fn named(path: &str, top: &str, at_path: impl FnOnce(&str) -> String) -> String {
    if path.is_empty() {
        top.to_string()
    } else {
        at_path(path)
    }
}

fn last_segment(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}
