//! A located YAML tree: serde_yaml stops at the first problem and forgets where values were,
//! but diagnostics must point at the offending value and report every problem. This module
//! turns yaml-rust2's event stream into small `Node`s that keep their position and scalar style
//! (a quoted `"0123"` is text, a plain `0123` looks like a number), with hard budgets so hostile
//! input (alias bombs, absurd nesting) is refused quickly instead of exhausting memory or stack.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, ScanError, TScalarStyle};

/// Aliases may add at most this many bytes per file, counted as `expansion_cost` does. Real
/// manifests rarely use aliases at all, and a file is at most 1 MiB, so this at most doubles
/// what one file can cost; a "billion laughs" document needs gigabytes.
pub(crate) const ALIAS_EXPANSION_BUDGET_BYTES: usize = 1024 * 1024;

/// What one copied node costs beyond its text: about the memory a `Node` takes, so that a bomb
/// of many tiny nodes is bounded as surely as one of a few long strings. A fixed number rather
/// than `size_of`, so that where the budget runs out does not depend on the target.
const NODE_COST_BYTES: usize = 64;

/// A manifest is four levels deep; anything beyond this is not a manifest, and refusing it keeps
/// the recursive walk (and `Drop`) of the tree far from the stack limit.
pub(crate) const MAX_DEPTH: usize = 32;

/// 1-based line and column (in characters) of a node in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    fn from_marker(marker: &Marker, line_offset: usize) -> Self {
        Position {
            line: marker.line() + line_offset,
            column: marker.col() + 1,
        }
    }
}

/// Where a text ends, counting lines as YAML does: a lone carriage return ends one too.
#[derive(Debug, Clone, Copy)]
struct TextEnd {
    line: usize,
    column: usize,
}

impl TextEnd {
    fn of(text: &str) -> TextEnd {
        let mut end = TextEnd { line: 1, column: 1 };
        let mut chars = text.chars().peekable();
        while let Some(character) = chars.next() {
            match character {
                '\r' if chars.peek() == Some(&'\n') => {}
                '\n' | '\r' => {
                    end.line += 1;
                    end.column = 1;
                }
                _ => end.column += 1,
            }
        }
        end
    }

    /// The scanner can place a node or an error at end of input on a line past the last one,
    /// which no editor can jump to; those point at the end of the last line instead.
    fn position(self, marker: &Marker, line_offset: usize) -> Position {
        if marker.line() <= self.line {
            Position::from_marker(marker, line_offset)
        } else {
            Position {
                line: self.line + line_offset,
                column: self.column,
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScalarStyle {
    Plain,
    Quoted,
    Block,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeKind {
    Scalar { text: String, style: ScalarStyle },
    Sequence(Vec<Node>),
    Mapping(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub position: Position,
    pub kind: NodeKind,
}

impl Node {
    /// A plain scalar that YAML reads as null: `~`, `null`, or nothing at all.
    pub(crate) fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { text, style: ScalarStyle::Plain }
            if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// What the node is, in the words of a "expected X, found Y" message.
    pub(crate) fn describe(&self) -> &'static str {
        match &self.kind {
            NodeKind::Sequence(_) => "a list",
            NodeKind::Mapping(_) => "a mapping",
            NodeKind::Scalar { .. } if self.is_null() => "nothing (null)",
            NodeKind::Scalar {
                text,
                style: ScalarStyle::Plain,
            } => {
                if text.parse::<i64>().is_ok() {
                    "a number"
                } else if matches!(text.as_str(), "true" | "false" | "True" | "False") {
                    "a boolean"
                } else {
                    "a string"
                }
            }
            NodeKind::Scalar { .. } => "a string",
        }
    }
}

/// One `---`-separated document; `root` is `None` when it is empty.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Document {
    pub root: Option<Node>,
}

/// A problem found while reading the YAML itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub position: Position,
    pub message: String,
    pub hint: Option<String>,
}

/// Every document of a file up to the first syntax error, and that error. After an error the
/// reader resumes at the next `---` line, so one broken document does not hide the others.
#[derive(Debug, Default)]
pub(crate) struct Stream {
    pub documents: Vec<Document>,
    pub errors: Vec<SyntaxError>,
}

/// Reads every document of `text`.
pub(crate) fn parse_stream(text: &str) -> Stream {
    let mut stream = Stream::default();
    let mut remaining = text;
    let mut line_offset = 0;
    // One budget for the whole file, so resuming after an error does not grant a fresh one.
    let mut expanded_by_aliases = 0usize;
    loop {
        match parse_until_error(
            remaining,
            line_offset,
            &mut expanded_by_aliases,
            &mut stream.documents,
        ) {
            Ok(()) => return stream,
            Err(error) => {
                let error_line = error.position.line;
                stream.errors.push(error);
                // Resume after the next document marker that follows the error's line.
                match next_document_start(remaining, error_line - line_offset) {
                    Some((byte_index, lines_skipped)) => {
                        remaining = &remaining[byte_index..];
                        line_offset += lines_skipped;
                    }
                    None => return stream,
                }
            }
        }
    }
}

/// Byte index and line count (0-based) of the first `---` line at or after the 1-based
/// `error_line` of `text`, skipping the first line so that reading always moves forward.
fn next_document_start(text: &str, error_line: usize) -> Option<(usize, usize)> {
    let mut byte_index = 0;
    for (line_index, line) in text.split_inclusive('\n').enumerate() {
        let is_marker =
            line.starts_with("---") && line[3..].chars().next().is_none_or(char::is_whitespace);
        if line_index > 0 && line_index + 1 >= error_line && is_marker {
            return Some((byte_index, line_index));
        }
        byte_index += line.len();
    }
    None
}

/// A node under construction: a collection waiting for its children.
enum Open {
    Sequence {
        position: Position,
        anchor: usize,
        items: Vec<Node>,
    },
    Mapping {
        position: Position,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        pending_key: Option<Node>,
    },
}

fn parse_until_error(
    text: &str,
    line_offset: usize,
    expanded_by_aliases: &mut usize,
    documents: &mut Vec<Document>,
) -> Result<(), SyntaxError> {
    let mut parser = Parser::new_from_str(text);
    let end = TextEnd::of(text);
    let mut builder = TreeBuilder {
        anchors: HashMap::new(),
        open: Vec::new(),
        root: None,
        expanded_by_aliases,
        documents,
    };
    loop {
        let (event, marker) = parser
            .next_token()
            .map_err(|error| syntax_error(text, end, &error, line_offset))?;
        let position = end.position(&marker, line_offset);
        if !builder.event(event, position)? {
            return Ok(());
        }
    }
}

/// Builds the documents of one run of the parser from its events.
struct TreeBuilder<'a> {
    /// Each anchored node with its expansion cost, so an alias pays before it copies.
    anchors: HashMap<usize, (Node, usize)>,
    open: Vec<Open>,
    root: Option<Node>,
    expanded_by_aliases: &'a mut usize,
    documents: &'a mut Vec<Document>,
}

impl TreeBuilder<'_> {
    /// Takes one event; false at the end of the stream.
    fn event(&mut self, event: Event, position: Position) -> Result<bool, SyntaxError> {
        let finished = match event {
            Event::StreamEnd => return Ok(false),
            Event::DocumentStart => {
                self.anchors.clear();
                self.root = None;
                None
            }
            Event::DocumentEnd => {
                let root = self.root.take().filter(|node| !node.is_null());
                self.documents.push(Document { root });
                None
            }
            Event::Scalar(text, style, anchor, _tag) => {
                let kind = NodeKind::Scalar {
                    text,
                    style: scalar_style(style),
                };
                Some(self.anchored(Node { position, kind }, anchor))
            }
            Event::Alias(anchor) => Some(self.alias(anchor, position)?),
            Event::SequenceStart(anchor, _tag) => {
                let items = Vec::new();
                self.open(
                    Open::Sequence {
                        position,
                        anchor,
                        items,
                    },
                    position,
                )?;
                None
            }
            Event::MappingStart(anchor, _tag) => {
                let (entries, pending_key) = (Vec::new(), None);
                let mapping = Open::Mapping {
                    position,
                    anchor,
                    entries,
                    pending_key,
                };
                self.open(mapping, position)?;
                None
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(),
            Event::StreamStart | Event::Nothing => None,
        };
        if let Some(node) = finished {
            self.attach(node);
        }
        Ok(true)
    }

    /// A copy of the anchored node, once the file's alias budget has paid for it.
    fn alias(&mut self, anchor: usize, position: Position) -> Result<Node, SyntaxError> {
        let Some((node, cost)) = self.anchors.get(&anchor) else {
            return Err(SyntaxError {
                position,
                message: "alias refers to an anchor that is not defined before it".into(),
                hint: Some("define the anchor (&name) before using it (*name)".into()),
            });
        };
        *self.expanded_by_aliases = self.expanded_by_aliases.saturating_add(*cost);
        if *self.expanded_by_aliases > ALIAS_EXPANSION_BUDGET_BYTES {
            return Err(SyntaxError {
                position,
                message: format!(
                    "aliases expand to more than {ALIAS_EXPANSION_BUDGET_BYTES} bytes (1 MiB) in this file; refusing what looks like an alias bomb"
                ),
                hint: Some("write the values out instead of repeating them through aliases".into()),
            });
        }
        let mut copy = node.clone();
        // The copy sits where the alias is written, so diagnostics point there.
        copy.position = position;
        Ok(copy)
    }

    fn open(&mut self, collection: Open, position: Position) -> Result<(), SyntaxError> {
        self.open.push(collection);
        check_depth(self.open.len(), position)
    }

    /// The collection that just ended, as a node.
    fn close(&mut self) -> Option<Node> {
        let (node, anchor) = match self.open.pop()? {
            Open::Sequence {
                position,
                anchor,
                items,
            } => {
                let kind = NodeKind::Sequence(items);
                (Node { position, kind }, anchor)
            }
            Open::Mapping {
                position,
                anchor,
                entries,
                ..
            } => {
                // The parser marks a block mapping one column past its first key; the first key
                // is where a reader looks.
                let position = entries.first().map_or(position, |(key, _)| key.position);
                let kind = NodeKind::Mapping(entries);
                (Node { position, kind }, anchor)
            }
        };
        Some(self.anchored(node, anchor))
    }

    /// Records an anchored node with its cost, so later aliases pay for what they copy.
    fn anchored(&mut self, node: Node, anchor: usize) -> Node {
        if anchor > 0 {
            self.anchors
                .insert(anchor, (node.clone(), expansion_cost(&node)));
        }
        node
    }

    /// Puts a finished node in its place: an item, a key, a value, or the document's root.
    fn attach(&mut self, node: Node) {
        match self.open.last_mut() {
            Some(Open::Sequence { items, .. }) => items.push(node),
            Some(Open::Mapping {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                Some(key) => {
                    let mut value = node;
                    // An absent value (`key:`) is marked where the next token starts, often a
                    // line below; its key is where a reader looks.
                    if matches!(&value.kind, NodeKind::Scalar { text, style: ScalarStyle::Plain } if text.is_empty())
                    {
                        value.position = key.position;
                    }
                    entries.push((key, value));
                }
                None => *pending_key = Some(node),
            },
            None => self.root = Some(node),
        }
    }
}

fn scalar_style(style: TScalarStyle) -> ScalarStyle {
    match style {
        TScalarStyle::Plain => ScalarStyle::Plain,
        TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => ScalarStyle::Quoted,
        TScalarStyle::Literal | TScalarStyle::Folded => ScalarStyle::Block,
    }
}

/// What copying `node` adds: its scalar text plus a fixed cost per node. The budget keeps any
/// tree far below `usize::MAX`, but saturating keeps that from being a promise.
fn expansion_cost(node: &Node) -> usize {
    let own = match &node.kind {
        NodeKind::Scalar { text, .. } => text.len(),
        NodeKind::Sequence(items) => items
            .iter()
            .fold(0usize, |sum, item| sum.saturating_add(expansion_cost(item))),
        NodeKind::Mapping(entries) => entries.iter().fold(0usize, |sum, (key, value)| {
            sum.saturating_add(expansion_cost(key))
                .saturating_add(expansion_cost(value))
        }),
    };
    own.saturating_add(NODE_COST_BYTES)
}

fn check_depth(depth: usize, position: Position) -> Result<(), SyntaxError> {
    if depth > MAX_DEPTH {
        return Err(SyntaxError {
            position,
            message: format!("nesting deeper than {MAX_DEPTH} levels"),
            hint: Some("a case manifest is only a few levels deep; check the indentation".into()),
        });
    }
    Ok(())
}

/// Turns the scanner's error into one a person can act on; tabs get their own message because
/// they are the most common cause and the scanner's words for it vary.
fn syntax_error(text: &str, end: TextEnd, error: &ScanError, line_offset: usize) -> SyntaxError {
    let position = end.position(error.marker(), line_offset);
    let local_line = error.marker().line();
    let tab_line = [local_line, local_line.saturating_sub(1)]
        .into_iter()
        .filter(|line| *line >= 1)
        .find(|line| {
            text.lines()
                .nth(line - 1)
                .is_some_and(|content| content.trim_start_matches(' ').starts_with('\t'))
        });
    if let Some(line) = tab_line {
        let column = text
            .lines()
            .nth(line - 1)
            .map_or(1, |content| content.find('\t').unwrap_or(0) + 1);
        return SyntaxError {
            position: Position {
                line: line + line_offset,
                column,
            },
            message: "tab character in indentation; YAML indents with spaces only".into(),
            hint: Some("replace the tab with spaces".into()),
        };
    }
    SyntaxError {
        position,
        message: format!("invalid YAML: {}", error.info()),
        hint: Some("check brackets, quotes and indentation here and on the lines before".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        let stream = parse_stream(text);
        assert_eq!(stream.errors, vec![]);
        stream.documents.into_iter().next().unwrap().root.unwrap()
    }

    #[test]
    fn nodes_keep_their_position_and_style() {
        let node = root("a: 1\nb:\n  - \"x\"\n");
        let NodeKind::Mapping(entries) = node.kind else {
            panic!("not a mapping")
        };
        assert_eq!(entries[0].1.position, Position { line: 1, column: 4 });
        assert!(matches!(
            &entries[0].1.kind,
            NodeKind::Scalar { style: ScalarStyle::Plain, text } if text == "1"
        ));
        let NodeKind::Sequence(items) = &entries[1].1.kind else {
            panic!("not a list")
        };
        assert_eq!(items[0].position, Position { line: 3, column: 5 });
        assert!(matches!(
            &items[0].kind,
            NodeKind::Scalar {
                style: ScalarStyle::Quoted,
                ..
            }
        ));
    }

    #[test]
    fn documents_are_split_and_empty_ones_kept_as_none() {
        let stream = parse_stream("a: 1\n---\n---\nb: 2\n");
        assert_eq!(stream.documents.len(), 3);
        assert!(stream.documents[1].root.is_none());
        assert_eq!(stream.documents[2].root.as_ref().unwrap().position.line, 4);
    }

    #[test]
    fn reading_resumes_after_a_broken_document() {
        let stream = parse_stream("a: [1\n---\nb: 2\n");
        assert_eq!(stream.errors.len(), 1);
        assert_eq!(stream.documents.len(), 1);
        assert_eq!(stream.documents[0].root.as_ref().unwrap().position.line, 3);
    }

    #[test]
    fn aliases_expand_within_budget_and_bombs_are_refused() {
        let node = root("a: &x [1, 2]\nb: *x\n");
        let NodeKind::Mapping(entries) = node.kind else {
            panic!()
        };
        assert_eq!(entries[1].1.position.line, 2);
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for level in 1..10 {
            let previous = (b'a' + level - 1) as char;
            let name = (b'a' + level) as char;
            bomb.push_str(&format!("{name}: &{name} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"));
        }
        let stream = parse_stream(&bomb);
        assert_eq!(stream.errors.len(), 1);
        assert!(stream.errors[0].message.contains("alias bomb"));
    }

    #[test]
    fn aliases_of_long_strings_are_budgeted_by_their_bytes() {
        // Six copies of 200,000 bytes cross 1 MiB; the node count (six) is tiny.
        let long = "x".repeat(200_000);
        let text = format!("a: &a {long}\nb: [*a, *a, *a, *a, *a, *a, *a]\n");
        let stream = parse_stream(&text);
        assert_eq!(stream.documents, vec![]);
        assert_eq!(stream.errors.len(), 1, "{:?}", stream.errors);
        assert_eq!(
            stream.errors[0].position,
            Position {
                line: 2,
                column: 25
            },
            "the sixth alias crosses the budget"
        );
        assert_eq!(
            stream.errors[0].message,
            "aliases expand to more than 1048576 bytes (1 MiB) in this file; refusing what looks like an alias bomb"
        );
        // Five copies stay within it.
        let text = format!("a: &a {long}\nb: [*a, *a, *a, *a, *a]\n");
        assert_eq!(parse_stream(&text).errors, vec![]);
    }

    #[test]
    fn the_alias_budget_spans_the_whole_file() {
        // Each document alone stays within the budget, and a syntax error between them must not
        // grant the second a budget of its own.
        let long = "x".repeat(200_000);
        let half = format!("a: &a {long}\nb: [*a, *a, *a]\n");
        let text = format!("{half}---\nbroken: [\n---\n{half}");
        let stream = parse_stream(&text);
        assert_eq!(stream.errors.len(), 2, "{:?}", stream.errors);
        assert!(stream.errors[1].message.contains("alias bomb"));
        assert_eq!(stream.errors[1].position.line, 7);
    }

    #[test]
    fn a_node_costs_no_more_than_the_budget_charges_for_it() {
        assert!(std::mem::size_of::<Node>() <= NODE_COST_BYTES);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = "[".repeat(100_000);
        let stream = parse_stream(&text);
        assert_eq!(stream.errors.len(), 1);
        let block = (0..100)
            .map(|depth| format!("{}- \n", "  ".repeat(depth)))
            .collect::<String>();
        let stream = parse_stream(&block);
        assert!(
            stream.errors[0].message.contains("nesting"),
            "{:?}",
            stream.errors
        );
    }

    #[test]
    fn tabs_in_indentation_get_a_clear_message() {
        let stream = parse_stream("a:\n\tb: 1\n");
        assert_eq!(stream.errors.len(), 1, "{:?}", stream.errors);
        assert!(stream.errors[0].message.contains("tab"));
        assert_eq!(stream.errors[0].position.line, 2);
    }

    #[test]
    fn an_error_at_end_of_input_points_inside_the_file() {
        // A plain scalar where a key is expected, on a last line without a newline (found by
        // the fuzzer): the scanner reports it on line 5 of these 4.
        let text = format!("spec:\n  tags:\n    team:\n    {}", "k".repeat(333));
        let stream = parse_stream(&text);
        let with_carriage_returns = parse_stream(&text.replace('\n', "\r"));
        assert_eq!(with_carriage_returns.errors, stream.errors);
        assert_eq!(stream.errors.len(), 1, "{:?}", stream.errors);
        assert_eq!(
            stream.errors[0].position,
            Position {
                line: 4,
                column: 338
            },
            "{:?}",
            stream.errors[0]
        );
    }

    #[test]
    fn a_node_at_end_of_input_points_inside_the_file() {
        // An explicit key of control characters (found by the fuzzer): the scanner puts the
        // key and its empty value on line 3 of these 2.
        let stream = parse_stream("# comment\n? \u{0}\u{0}%\u{17}AwsR\u{17} \u{2}  c-");
        assert_eq!(stream.errors, vec![]);
        let Some(Node {
            kind: NodeKind::Mapping(entries),
            ..
        }) = &stream.documents[0].root
        else {
            panic!("{:?}", stream.documents);
        };
        let end = Position {
            line: 2,
            column: 18,
        };
        assert_eq!((entries[0].0.position, entries[0].1.position), (end, end));
    }
}
