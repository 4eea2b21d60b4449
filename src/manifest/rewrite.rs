//! Accepting drift into a manifest: the given spec fields of one document get new values, and
//! every other byte of the file stays as it was, as write-back keeps people's comments and
//! layout. The located tree says which document and which keys; the text around each key says
//! where its value ends (the tree knows only where nodes start), and the rewritten text is read
//! back and compared with what was asked before it is returned, so a layout this module
//! misjudges is refused instead of written.
//!
//! A value is replaced whole, from just after its key's colon to the end of its last line: a
//! comment beside the key (or beside the end of a value on the key's line) is kept, comments
//! inside a replaced block collection go with it, and comment or blank lines after the value
//! stay where they are.

use std::ops::Range;

use yaml_rust2::parser::{Event, Parser};

use super::yaml::{Node, NodeKind, Position, Stream, parse_stream};
use crate::model::SpecField;
use render::{Layout, Value, render};

mod render;
#[cfg(test)]
mod tests;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RewriteError {
    #[error("no manifest named {0:?} in the file")]
    ManifestNotFound(String),
    #[error(
        "line {line}: a second manifest named {name:?} (the first is on line {first}); rename one of them"
    )]
    AmbiguousManifest {
        name: String,
        first: usize,
        line: usize,
    },
    #[error("line {line}: {message}; fix the YAML before rewriting the file")]
    InvalidYaml { line: usize, message: String },
    #[error(
        "line {line}: the spec of the manifest {name:?} is not a block mapping (one `key: value` per line under `spec:`); sirops rewrites only that layout"
    )]
    SpecNotBlockMapping { name: String, line: usize },
    #[error(
        "line {line}: `spec.{field}` holds an anchor, alias or tag; replacing it would break what refers to it, so edit it by hand"
    )]
    AnchorOrTag { field: SpecField, line: usize },
    #[error("line {line}: {reason}; edit the file by hand")]
    UnsupportedLayout { line: usize, reason: String },
    #[error("the new value of `spec.{field}` is not valid: {reason}")]
    InvalidValue { field: SpecField, reason: String },
    #[error(
        "line {line}: the rewritten `spec.{field}` would not read back as the new value; edit it by hand"
    )]
    NotFaithful { field: SpecField, line: usize },
}

/// Rewrites the given spec fields of the manifest named `name` in `text` (a YAML file that may
/// hold several documents) to the given values, leaving every other byte as it was.
///
/// Values are in the manifest's own form, as JSON: strings for the scalar fields (dates as
/// RFC 3339 text), lists of strings or of objects for the list fields, maps of strings for
/// `caseMetadata` and `tags`. A field the spec does not have is added after its last entry.
pub fn rewrite_fields(
    text: &str,
    name: &str,
    fields: &[(SpecField, serde_json::Value)],
) -> Result<String, RewriteError> {
    let values = new_values(fields)?;
    // YAML ends a line at a lone "\r" too; the edits count lines by "\n" only.
    if let Some(line) = lone_carriage_return_line(text) {
        return Err(RewriteError::UnsupportedLayout {
            line,
            reason: "a line ends with a lone carriage return".into(),
        });
    }
    let stream = parse_stream(text);
    if let Some(error) = stream.errors.first() {
        return Err(RewriteError::InvalidYaml {
            line: error.position.line,
            message: error.message.clone(),
        });
    }
    let (document, root) = named_document(&stream, name)?;
    let lines = Lines::new(text);
    let spec = BlockSpec::find(&lines, root, name)?;
    let marked = marked_positions(text);
    let ending = if text.contains("\r\n") { "\r\n" } else { "\n" };

    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    let mut missing = Vec::new();
    for (field, value) in &values {
        let mut matching = spec
            .entries
            .iter()
            .filter(|(key, _)| is_scalar(key, field.name()));
        let Some((key, node)) = matching.next() else {
            missing.push((*field, value));
            continue;
        };
        if let Some((again, _)) = matching.next() {
            return Err(RewriteError::UnsupportedLayout {
                line: again.position.line,
                reason: format!(
                    "`spec.{field}` is written twice (also on line {})",
                    key.position.line
                ),
            });
        }
        let extent = value_extent(&lines, key, field.name())?;
        check_extent_holds(&lines, &extent, key, node)?;
        if let Some(line) = marked_line(&lines, &marked, key, &extent) {
            return Err(RewriteError::AnchorOrTag {
                field: *field,
                line,
            });
        }
        let layout = Layout {
            step: spec.step,
            blocks_allowed: !deeper_line_follows(&lines, extent.last_line, extent.key_indent),
        };
        let rendered = render(value, extent.key_indent, layout);
        let mut replacement = rendered.after_colon;
        replacement.push_str(&text[extent.beside.clone()]);
        for line in rendered.lines {
            replacement.push_str(ending);
            replacement.push_str(&line);
        }
        edits.push((extent.replaced(), replacement));
    }
    if !missing.is_empty() {
        let (last_key, last_value) = spec.entries.last().expect("a block spec has entries");
        let last = value_extent(&lines, last_key, key_text(last_key))?;
        check_extent_holds(&lines, &last, last_key, last_value)?;
        // New lines go right after the last value's text, each after a line ending, so that a
        // file without a final newline still has none.
        let after_last = lines.ranges[last.last_line].end;
        let layout = Layout {
            step: spec.step,
            blocks_allowed: !deeper_line_follows(&lines, last.last_line, spec.entry_indent),
        };
        let mut inserted = String::new();
        for (field, value) in missing {
            let rendered = render(value, spec.entry_indent, layout);
            let key_line = format!(
                "{}{}:{}",
                " ".repeat(spec.entry_indent),
                field.name(),
                rendered.after_colon
            );
            for line in std::iter::once(key_line).chain(rendered.lines) {
                inserted.push_str(ending);
                inserted.push_str(&line);
            }
        }
        edits.push((after_last..after_last, inserted));
    }

    let rewritten = apply(text, edits);
    verify(&stream, document, &rewritten, &spec, &values)?;
    Ok(rewritten)
}

/// The values, each once and in its field's form.
fn new_values(
    fields: &[(SpecField, serde_json::Value)],
) -> Result<Vec<(SpecField, Value)>, RewriteError> {
    let mut values: Vec<(SpecField, Value)> = Vec::with_capacity(fields.len());
    for (field, json) in fields {
        if values.iter().any(|(seen, _)| seen == field) {
            return Err(RewriteError::InvalidValue {
                field: *field,
                reason: "it is given twice".into(),
            });
        }
        values.push((*field, Value::of_field(*field, json)?));
    }
    Ok(values)
}

fn lone_carriage_return_line(text: &str) -> Option<usize> {
    text.match_indices('\r')
        .find(|(index, _)| !text[index + 1..].starts_with('\n'))
        .map(|(index, _)| text[..index].matches('\n').count() + 1)
}

/// The index and root of the one document whose `metadata.name` is `name`.
fn named_document<'a>(stream: &'a Stream, name: &str) -> Result<(usize, &'a Node), RewriteError> {
    let mut found: Option<(usize, &Node)> = None;
    for (index, document) in stream.documents.iter().enumerate() {
        let Some(root) = &document.root else {
            continue;
        };
        let Some(name_node) = field(root, "metadata").and_then(|metadata| field(metadata, "name"))
        else {
            continue;
        };
        if !is_scalar(name_node, name) {
            continue;
        }
        if let Some((_, first)) = found {
            return Err(RewriteError::AmbiguousManifest {
                name: name.to_string(),
                first: first.position.line,
                line: root.position.line,
            });
        }
        found = Some((index, root));
    }
    found.ok_or_else(|| RewriteError::ManifestNotFound(name.to_string()))
}

/// A spec written as a block mapping, and the indentation its entries use.
struct BlockSpec<'a> {
    entries: &'a [(Node, Node)],
    entry_indent: usize,
    /// How much deeper the entries are than `spec:`, which nested values copy.
    step: usize,
}

impl<'a> BlockSpec<'a> {
    fn find(lines: &Lines, root: &'a Node, name: &str) -> Result<Self, RewriteError> {
        let not_block = |line: usize| RewriteError::SpecNotBlockMapping {
            name: name.to_string(),
            line,
        };
        let NodeKind::Mapping(top) = &root.kind else {
            return Err(not_block(root.position.line));
        };
        let Some((spec_key, spec)) = top.iter().find(|(key, _)| is_scalar(key, "spec")) else {
            return Err(not_block(root.position.line));
        };
        let NodeKind::Mapping(entries) = &spec.kind else {
            return Err(not_block(spec_key.position.line));
        };
        let key_start = |key: &Node| {
            lines
                .key_start(key)
                .ok_or_else(|| not_block(key.position.line))
        };
        // Nothing but a comment may follow `spec:` on its line: not a `{`, an anchor or a tag.
        let (spec_line, spec_column) = key_start(spec_key)?;
        let after_spec = lines.after_colon(spec_line, spec_column, "spec");
        let rest = after_spec.map(|offset| lines.text[offset..lines.ranges[spec_line].end].trim());
        if !rest.is_some_and(|rest| rest.is_empty() || rest.starts_with('#')) {
            return Err(not_block(spec_key.position.line));
        }
        let Some((first_key, _)) = entries.first() else {
            return Err(not_block(spec_key.position.line));
        };
        let (_, entry_indent) = key_start(first_key)?;
        for (key, _) in entries {
            if key_start(key)?.1 != entry_indent {
                return Err(not_block(key.position.line));
            }
        }
        if entry_indent <= spec_column {
            return Err(not_block(first_key.position.line));
        }
        Ok(BlockSpec {
            entries,
            entry_indent,
            step: entry_indent - spec_column,
        })
    }
}

/// The text split into lines, each without its line ending.
struct Lines<'a> {
    text: &'a str,
    ranges: Vec<Range<usize>>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let mut ranges = Vec::new();
        let mut start = 0;
        for line in text.split_inclusive('\n') {
            let content = line.strip_suffix('\n').unwrap_or(line);
            let content = content.strip_suffix('\r').unwrap_or(content);
            ranges.push(start..start + content.len());
            start += line.len();
        }
        Lines { text, ranges }
    }

    fn line(&self, index: usize) -> &'a str {
        &self.text[self.ranges[index].clone()]
    }

    /// The byte offset of a position (columns count characters).
    fn offset(&self, position: Position) -> Option<usize> {
        let range = self.ranges.get(position.line.checked_sub(1)?)?;
        let line = &self.text[range.clone()];
        let column = position.column.checked_sub(1)?;
        let within = line
            .char_indices()
            .map(|(offset, _)| offset)
            .chain(std::iter::once(line.len()))
            .nth(column)?;
        Some(range.start + within)
    }

    /// The 0-based line of a key and its indentation, when only spaces precede it.
    fn key_start(&self, key: &Node) -> Option<(usize, usize)> {
        let line_index = key.position.line.checked_sub(1)?;
        let offset = self.offset(key.position)? - self.ranges[line_index].start;
        let before = &self.line(line_index)[..offset];
        before
            .bytes()
            .all(|byte| byte == b' ')
            .then_some((line_index, offset))
    }

    /// The byte offset just past the colon of `name:` written at `column` of `line_index`.
    fn after_colon(&self, line_index: usize, column: usize, name: &str) -> Option<usize> {
        let line = self.line(line_index);
        let key = &line[column..];
        let key_length = if key.starts_with(['"', '\'']) {
            quoted_end(key, 0)?
        } else if key.starts_with(name) {
            name.len()
        } else {
            return None;
        };
        let after_key = &key[key_length..];
        let colon = after_key.len() - after_key.trim_start_matches([' ', '\t']).len();
        after_key[colon..]
            .starts_with(':')
            .then(|| self.ranges[line_index].start + column + key_length + colon + 1)
    }

    fn indent(&self, index: usize) -> usize {
        let line = self.line(index);
        line.len() - line.trim_start_matches(' ').len()
    }

    fn is_blank_or_comment(&self, index: usize) -> bool {
        let content = self.line(index).trim_start_matches([' ', '\t']);
        content.is_empty() || content.starts_with('#')
    }

    fn is_document_marker(&self, index: usize) -> bool {
        let line = self.line(index);
        (line.starts_with("---") || line.starts_with("..."))
            && line[3..].chars().next().is_none_or(char::is_whitespace)
    }

    /// The line holding the byte at `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.ranges
            .partition_point(|range| range.end < offset)
            .min(self.ranges.len() - 1)
    }
}

/// Where a key's value is written.
#[derive(Debug)]
struct Extent {
    key_indent: usize,
    /// Just past the key's colon: the replacement starts here.
    after_colon: usize,
    /// What is kept after the new value on the key's line: blanks and a comment.
    beside: Range<usize>,
    /// The end of the value's last line (before its line ending).
    end: usize,
    /// 0-based.
    last_line: usize,
}

impl Extent {
    fn replaced(&self) -> Range<usize> {
        self.after_colon..self.end
    }
}

/// Where the value of `key` (named `name`, an entry of a block mapping) is written.
fn value_extent(lines: &Lines, key: &Node, name: &str) -> Result<Extent, RewriteError> {
    let unsupported = |reason: &str| RewriteError::UnsupportedLayout {
        line: key.position.line,
        reason: format!("`spec.{name}` {reason}"),
    };
    let (key_line, key_indent) = lines
        .key_start(key)
        .ok_or_else(|| unsupported("has something before its key"))?;
    let after_colon = lines
        .after_colon(key_line, key_indent, name)
        .ok_or_else(|| unsupported("has a key laid out in a way a text edit cannot keep"))?;
    let text = lines.text;
    let key_line_end = lines.ranges[key_line].end;
    let value_start = skip_blanks(text, after_colon, key_line_end);
    let up_to_line_end = |end: usize, beside_start: usize| {
        let last_line = lines.line_of(end);
        let line_end = lines.ranges[last_line].end;
        Extent {
            key_indent,
            after_colon,
            beside: beside_start.min(line_end)..line_end,
            end: line_end,
            last_line,
        }
    };
    let scanned = |end: Option<usize>| {
        end.ok_or_else(|| unsupported("has a quoted or bracketed value whose end was not found"))
    };
    match text[value_start..key_line_end].chars().next() {
        None | Some('#') => later_lines_extent(lines, key_line, key_indent, after_colon)
            .ok_or_else(|| unsupported("has a quoted or bracketed value whose end was not found")),
        Some('"' | '\'') => {
            let end = scanned(quoted_end(text, value_start))?;
            Ok(up_to_line_end(end, end))
        }
        Some('[' | '{') => {
            let end = scanned(flow_end(text, value_start))?;
            Ok(up_to_line_end(end, end))
        }
        Some('|' | '>') => {
            let (header_end, explicit) = block_header(text, value_start);
            let last_line = block_scalar_last_line(lines, key_line, key_indent, explicit);
            Ok(Extent {
                key_indent,
                after_colon,
                beside: header_end..key_line_end,
                end: lines.ranges[last_line].end,
                last_line,
            })
        }
        Some('&' | '*' | '!') => {
            // Anchors, aliases and tags are refused before anything is replaced; the extent
            // only has to be right for the last entry, after which new fields go.
            let last_line = indented_last_line(lines, key_line, key_indent, false);
            let end = lines.ranges[last_line].end;
            Ok(Extent {
                key_indent,
                after_colon,
                beside: end..end,
                end,
                last_line,
            })
        }
        Some(_) => {
            let has_comment = text[plain_end(text, value_start, key_line_end)..key_line_end]
                .trim_start()
                .starts_with('#');
            let last_line = if has_comment {
                key_line
            } else {
                indented_last_line(lines, key_line, key_indent, false)
            };
            let range = lines.ranges[last_line].clone();
            let line_start = if last_line == key_line {
                value_start
            } else {
                range.start
            };
            Ok(up_to_line_end(
                range.end,
                plain_end(text, line_start, range.end),
            ))
        }
    }
}

/// The extent of a value that starts below its key (a block collection, or a scalar or flow
/// collection on a line of its own), or of no value at all.
fn later_lines_extent(
    lines: &Lines,
    key_line: usize,
    key_indent: usize,
    after_colon: usize,
) -> Option<Extent> {
    let key_line_end = lines.ranges[key_line].end;
    let extent = |last_line: usize| Extent {
        key_indent,
        after_colon,
        beside: after_colon..key_line_end,
        end: lines.ranges[last_line].end.max(key_line_end),
        last_line,
    };
    let first = (key_line + 1..lines.ranges.len()).find(|&index| !lines.is_blank_or_comment(index));
    let Some(first) = first else {
        return Some(extent(key_line));
    };
    let indent = lines.indent(first);
    let content = &lines.line(first)[indent..];
    let is_dash = is_dash(content);
    if lines.is_document_marker(first) || indent < key_indent || indent == key_indent && !is_dash {
        return Some(extent(key_line));
    }
    let start = lines.ranges[first].start + indent;
    let last_line = match content.chars().next() {
        Some('"' | '\'') => lines.line_of(quoted_end(lines.text, start)?),
        Some('[' | '{') => lines.line_of(flow_end(lines.text, start)?),
        Some('|' | '>') => {
            let (_, explicit) = block_header(lines.text, start);
            block_scalar_last_line(lines, first, key_indent, explicit)
        }
        _ => indented_last_line(lines, key_line, key_indent, is_dash && indent == key_indent),
    };
    Some(extent(last_line))
}

/// Whether a comment or blank line right after `last_line` is indented deeper than the key,
/// where a literal block written in its place would take it as one of its lines.
fn deeper_line_follows(lines: &Lines, last_line: usize, key_indent: usize) -> bool {
    (last_line + 1..lines.ranges.len())
        .take_while(|&index| lines.is_blank_or_comment(index))
        .any(|index| lines.indent(index) > key_indent || lines.line(index).starts_with('\t'))
}

fn is_dash(content: &str) -> bool {
    content == "-" || content.starts_with("- ") || content.starts_with("-\t")
}

/// The last line after `from` that belongs to a block value of a key indented `key_indent`:
/// more indented than the key (or, for a list written at the key's own indentation, an item
/// there). Comment and blank lines never end the value, and count only inside it.
fn indented_last_line(
    lines: &Lines,
    from: usize,
    key_indent: usize,
    items_at_key_indent: bool,
) -> usize {
    let mut last = from;
    for index in from + 1..lines.ranges.len() {
        if lines.is_blank_or_comment(index) {
            continue;
        }
        let indent = lines.indent(index);
        let is_item =
            items_at_key_indent && indent == key_indent && is_dash(&lines.line(index)[indent..]);
        if lines.is_document_marker(index) || !(indent > key_indent || is_item) {
            break;
        }
        last = index;
    }
    last
}

/// The last line of a block scalar whose header is on `header_line`: lines at least as
/// indented as its content (the first non-blank line's indentation, or the explicit one).
/// Blank lines after the content are left where they are.
fn block_scalar_last_line(
    lines: &Lines,
    header_line: usize,
    parent_indent: usize,
    explicit: Option<usize>,
) -> usize {
    let mut content_indent = explicit.map(|indent| parent_indent + indent);
    let mut last = header_line;
    for index in header_line + 1..lines.ranges.len() {
        if lines.line(index).trim_matches([' ', '\t']).is_empty() {
            continue;
        }
        let indent = lines.indent(index);
        let required = *content_indent.get_or_insert(indent.max(parent_indent + 1));
        if indent < required || lines.is_document_marker(index) {
            break;
        }
        last = index;
    }
    last
}

/// The end of a block scalar's header (`|`, `>-`, `|2+`...) and its explicit indentation.
fn block_header(text: &str, start: usize) -> (usize, Option<usize>) {
    let header = &text[start..];
    let length = 1 + header[1..]
        .find(|character: char| !matches!(character, '-' | '+' | '1'..='9'))
        .unwrap_or(header.len() - 1);
    let explicit = header[1..length]
        .chars()
        .find_map(|character| character.to_digit(10))
        .map(|digit| digit as usize);
    (start + length, explicit)
}

fn skip_blanks(text: &str, start: usize, end: usize) -> usize {
    let rest = &text[start..end];
    start + rest.len() - rest.trim_start_matches([' ', '\t']).len()
}

/// The end of a plain scalar on the line from `start` to `line_end`: before a comment, without
/// trailing blanks.
fn plain_end(text: &str, start: usize, line_end: usize) -> usize {
    let line = &text[start..line_end];
    let bytes = line.as_bytes();
    let comment = (0..bytes.len())
        .find(|&index| {
            bytes[index] == b'#' && index > 0 && matches!(bytes[index - 1], b' ' | b'\t')
        })
        .unwrap_or(bytes.len());
    start + line[..comment].trim_end_matches([' ', '\t']).len()
}

/// Just past the closing quote of the quoted scalar that opens at `start`.
fn quoted_end(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let quote = *bytes.get(start)?;
    let mut index = start + 1;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' if quote == b'"' => index += 2,
            b'\'' if quote == b'\'' && bytes.get(index + 1) == Some(&b'\'') => index += 2,
            byte if byte == quote => return Some(index + 1),
            _ => index += 1,
        }
    }
    None
}

/// Just past the bracket that closes the flow collection opening at `start`, skipping quoted
/// scalars and comments.
fn flow_end(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut index = start;
    // A quote opens a scalar only where a token can start.
    let mut token_may_start = true;
    while index < bytes.len() {
        let byte = bytes[index];
        match byte {
            b'[' | b'{' => {
                depth += 1;
                token_may_start = true;
            }
            b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(index + 1);
                }
                token_may_start = false;
            }
            b'"' | b'\'' if token_may_start => {
                index = quoted_end(text, index)?;
                token_may_start = false;
                continue;
            }
            b'#' if index > start && matches!(bytes[index - 1], b' ' | b'\t' | b'\n' | b'\r') => {
                index = text[index..]
                    .find('\n')
                    .map_or(bytes.len(), |end| index + end);
                continue;
            }
            b',' | b':' | b' ' | b'\t' | b'\n' | b'\r' | b'?' => token_may_start = true,
            _ => token_may_start = false,
        }
        index += 1;
    }
    None
}

/// A misjudged extent would leave part of the old value behind: every node of the value must
/// start within it.
fn check_extent_holds(
    lines: &Lines,
    extent: &Extent,
    key: &Node,
    value: &Node,
) -> Result<(), RewriteError> {
    let within = last_line_of(value) <= extent.last_line + 1
        && lines
            .offset(value.position)
            .is_none_or(|offset| offset >= extent.after_colon || value.is_null());
    if within {
        Ok(())
    } else {
        Err(RewriteError::UnsupportedLayout {
            line: key.position.line,
            reason: format!(
                "the value of `spec.{}` is laid out in a way a text edit cannot keep",
                key_text(key)
            ),
        })
    }
}

fn last_line_of(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Scalar { .. } => node.position.line,
        NodeKind::Sequence(items) => items
            .iter()
            .map(last_line_of)
            .fold(node.position.line, usize::max),
        NodeKind::Mapping(entries) => entries
            .iter()
            .map(|(key, value)| last_line_of(key).max(last_line_of(value)))
            .fold(node.position.line, usize::max),
    }
}

/// The line of an anchor, alias or tag in the value of `key`. The parser marks a tagged block
/// collection at its first entry, so a property right after the colon is found by its text.
fn marked_line(lines: &Lines, marked: &[Position], key: &Node, extent: &Extent) -> Option<usize> {
    let text = lines.text;
    let key_line_end = lines.ranges[key.position.line - 1].end;
    let property_beside_key =
        text[skip_blanks(text, extent.after_colon, key_line_end)..].starts_with(['&', '*', '!']);
    if property_beside_key {
        return Some(key.position.line);
    }
    marked
        .iter()
        .find(|position| {
            lines
                .offset(**position)
                .is_some_and(|offset| extent.replaced().contains(&offset))
        })
        .map(|position| position.line)
}

/// Where the file has anchors, aliases and tags, which the located tree does not keep.
fn marked_positions(text: &str) -> Vec<Position> {
    let mut parser = Parser::new_from_str(text);
    let mut marked = Vec::new();
    while let Ok((event, marker)) = parser.next_token() {
        let is_marked = match event {
            Event::StreamEnd => break,
            Event::Alias(_) => true,
            Event::Scalar(_, _, anchor, tag)
            | Event::SequenceStart(anchor, tag)
            | Event::MappingStart(anchor, tag) => anchor > 0 || tag.is_some(),
            _ => false,
        };
        if is_marked {
            marked.push(Position {
                line: marker.line(),
                column: marker.col() + 1,
            });
        }
    }
    marked
}

/// `text` with the edits made; they must not overlap.
fn apply(text: &str, mut edits: Vec<(Range<usize>, String)>) -> String {
    edits.sort_by_key(|(range, _)| (range.start, range.end));
    let mut output =
        String::with_capacity(text.len() + edits.iter().map(|(_, new)| new.len()).sum::<usize>());
    let mut copied = 0;
    for (range, replacement) in edits {
        debug_assert!(range.start >= copied, "edits overlap");
        output.push_str(&text[copied..range.start]);
        output.push_str(&replacement);
        copied = range.end;
    }
    output.push_str(&text[copied..]);
    output
}

/// Reads the rewritten text back: the named document's spec must hold the new values where the
/// old ones were (and the added ones after the rest), and every other node must be unchanged.
fn verify(
    before: &Stream,
    document: usize,
    rewritten: &str,
    spec: &BlockSpec,
    values: &[(SpecField, Value)],
) -> Result<(), RewriteError> {
    let first_key_line = |field: SpecField| {
        spec.entries
            .iter()
            .find(|(key, _)| is_scalar(key, field.name()))
            .or(spec.entries.last())
            .map_or(1, |(key, _)| key.position.line)
    };
    let unfaithful = |field: SpecField| RewriteError::NotFaithful {
        field,
        line: first_key_line(field),
    };
    let any_field = values.first().map_or(SpecField::Title, |(field, _)| *field);
    let after = parse_stream(rewritten);
    if !after.errors.is_empty() || after.documents.len() != before.documents.len() {
        return Err(unfaithful(any_field));
    }
    for (index, (old, new)) in before.documents.iter().zip(&after.documents).enumerate() {
        let same = match (&old.root, &new.root) {
            (Some(old), Some(new)) if index == document => same_except_spec(old, new),
            (old, new) => old.as_ref().map(Shape) == new.as_ref().map(Shape),
        };
        if !same {
            return Err(unfaithful(any_field));
        }
    }
    let Some(new_spec) = after.documents[document]
        .root
        .as_ref()
        .and_then(|root| field(root, "spec"))
    else {
        return Err(unfaithful(any_field));
    };
    let NodeKind::Mapping(new_entries) = &new_spec.kind else {
        return Err(unfaithful(any_field));
    };
    let added = values.iter().filter(|(field, _)| {
        !spec
            .entries
            .iter()
            .any(|(key, _)| is_scalar(key, field.name()))
    });
    let expected_keys = spec
        .entries
        .iter()
        .map(|(key, _)| key_text(key))
        .chain(added.map(|(field, _)| field.name()));
    if !expected_keys.eq(new_entries.iter().map(|(key, _)| key_text(key))) {
        return Err(unfaithful(any_field));
    }
    for (index, (key, new_value)) in new_entries.iter().enumerate() {
        let rewritten_to = values
            .iter()
            .find(|(field, _)| is_scalar(key, field.name()));
        let faithful = match rewritten_to {
            Some((_, value)) => holds(new_value, value),
            None => spec
                .entries
                .get(index)
                .is_some_and(|(_, old)| Shape(old) == Shape(new_value)),
        };
        if !faithful {
            let field = rewritten_to.map_or(any_field, |(field, _)| *field);
            return Err(unfaithful(field));
        }
    }
    Ok(())
}

/// The roots are equal but for the spec's entries, which `verify` compares one by one.
fn same_except_spec(old: &Node, new: &Node) -> bool {
    let (NodeKind::Mapping(old), NodeKind::Mapping(new)) = (&old.kind, &new.kind) else {
        return false;
    };
    old.len() == new.len()
        && old
            .iter()
            .zip(new)
            .all(|((old_key, old_value), (new_key, new_value))| {
                Shape(old_key) == Shape(new_key)
                    && (is_scalar(old_key, "spec") || Shape(old_value) == Shape(new_value))
            })
}

/// A node compared by what it holds, not where: rewriting moves what follows it.
struct Shape<'a>(&'a Node);

impl PartialEq for Shape<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0.kind, &other.0.kind) {
            (
                NodeKind::Scalar { text, style },
                NodeKind::Scalar {
                    text: other_text,
                    style: other_style,
                },
            ) => text == other_text && style == other_style,
            (NodeKind::Sequence(items), NodeKind::Sequence(other_items)) => {
                items.len() == other_items.len()
                    && items
                        .iter()
                        .zip(other_items)
                        .all(|(a, b)| Shape(a) == Shape(b))
            }
            (NodeKind::Mapping(entries), NodeKind::Mapping(other_entries)) => {
                entries.len() == other_entries.len()
                    && entries
                        .iter()
                        .zip(other_entries)
                        .all(|((a, b), (c, d))| Shape(a) == Shape(c) && Shape(b) == Shape(d))
            }
            _ => false,
        }
    }
}

/// The node reads as `value`: strings as non-null scalars of that text.
fn holds(node: &Node, value: &Value) -> bool {
    match (&node.kind, value) {
        (NodeKind::Scalar { text, .. }, Value::Text(expected)) => {
            text == expected && !node.is_null()
        }
        (NodeKind::Sequence(items), Value::List(expected)) => {
            items.len() == expected.len()
                && items
                    .iter()
                    .zip(expected)
                    .all(|(item, value)| holds(item, value))
        }
        (NodeKind::Mapping(entries), Value::Map(expected)) => {
            entries.len() == expected.len()
                && entries
                    .iter()
                    .zip(expected)
                    .all(|((key, node), (name, value))| {
                        matches!(&key.kind, NodeKind::Scalar { text, .. } if text == name)
                            && holds(node, value)
                    })
        }
        _ => false,
    }
}

fn field<'a>(node: &'a Node, name: &str) -> Option<&'a Node> {
    let NodeKind::Mapping(entries) = &node.kind else {
        return None;
    };
    entries
        .iter()
        .find(|(key, _)| is_scalar(key, name))
        .map(|(_, value)| value)
}

fn is_scalar(node: &Node, expected: &str) -> bool {
    matches!(&node.kind, NodeKind::Scalar { text, .. } if text == expected)
}

fn key_text(key: &Node) -> &str {
    match &key.kind {
        NodeKind::Scalar { text, .. } => text,
        _ => "",
    }
}
