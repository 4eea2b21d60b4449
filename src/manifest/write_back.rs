//! `apply --write-back` records a newly created case's id in its manifest. Re-serialising the
//! YAML would lose the comments and layout people wrote, so this edits text: it finds the
//! document by `metadata.name` with the located tree and replaces or inserts exactly one line.

use super::yaml::{Node, NodeKind, Stream, parse_stream};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteBackError {
    #[error("no manifest named {0:?} in the file")]
    ManifestNotFound(String),
    #[error("the manifest named {0:?} is in the file more than once")]
    AmbiguousManifest(String),
    #[error(
        "the manifest {0:?} lays out metadata in a way a one-line edit cannot keep (flow style or multi-line values); add `caseId: \"{1}\"` under metadata by hand"
    )]
    UnsupportedLayout(String, String),
    #[error("{0:?} is not a case id")]
    InvalidCaseId(String),
    #[error("the file has YAML errors; fix them before writing back")]
    InvalidYaml,
}

/// `text` with `caseId: "<case_id>"` under the `metadata:` of the document named
/// `manifest_name`: an existing `caseId` line is replaced, otherwise a line is inserted right
/// after `name`, with the same indentation. Nothing else changes.
pub fn write_back_case_id(
    text: &str,
    manifest_name: &str,
    case_id: &str,
) -> Result<String, WriteBackError> {
    // A case id is digits and a suffix the API chose; refuse anything that could break the line.
    if case_id.is_empty()
        || case_id
            .chars()
            .any(|character| character.is_control() || character == '"' || character == '\\')
    {
        return Err(WriteBackError::InvalidCaseId(case_id.to_string()));
    }
    let stream = parse_stream(text);
    if !stream.errors.is_empty() {
        return Err(WriteBackError::InvalidYaml);
    }
    let unsupported =
        || WriteBackError::UnsupportedLayout(manifest_name.to_string(), case_id.to_string());
    // YAML ends a line at a lone "\r" too; the edit below counts lines by "\n" only.
    if has_lone_carriage_return(text) {
        return Err(unsupported());
    }
    let not_found = || WriteBackError::ManifestNotFound(manifest_name.to_string());
    let metadata = named_metadata(&stream, manifest_name)?.ok_or_else(not_found)?;
    let NodeKind::Mapping(entries) = &metadata.kind else {
        return Err(not_found());
    };
    let (name_key, name_value) = entry(entries, "name").ok_or_else(not_found)?;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let indent = name_indent(&lines, entries, (name_key, name_value)).ok_or_else(unsupported)?;
    match entry(entries, "caseId") {
        Some((key, value)) if value.position.line != key.position.line => Err(unsupported()),
        Some((key, _)) => Ok(replace_line(&lines, key_line(key), |line| {
            replace_value_keep_comment(line, case_id)
        })),
        None => {
            let ending = line_ending(text);
            Ok(insert_after(
                &lines,
                key_line(name_key),
                &format!("{indent}caseId: \"{case_id}\"{ending}"),
                ending,
            ))
        }
    }
}

/// The `metadata` of the one document whose `metadata.name` is `manifest_name`.
fn named_metadata<'a>(
    stream: &'a Stream,
    manifest_name: &str,
) -> Result<Option<&'a Node>, WriteBackError> {
    let mut found = None;
    for root in stream
        .documents
        .iter()
        .filter_map(|document| document.root.as_ref())
    {
        let Some(metadata) = field(root, "metadata") else {
            continue;
        };
        let is_named = field(metadata, "name").is_some_and(
            |name| matches!(&name.kind, NodeKind::Scalar { text, .. } if text == manifest_name),
        );
        if is_named {
            if found.is_some() {
                return Err(WriteBackError::AmbiguousManifest(manifest_name.to_string()));
            }
            found = Some(metadata);
        }
    }
    Ok(found)
}

/// The indentation of the `name` entry, which an inserted line copies; `None` when its line
/// holds more than indentation before the key, which a one-line edit cannot keep faithful.
fn name_indent(
    lines: &[&str],
    entries: &[(Node, Node)],
    (name_key, name_value): (&Node, &Node),
) -> Option<String> {
    // Columns count characters, not bytes: what precedes the key is taken by characters.
    let before_name: String = lines
        .get(key_line(name_key))
        .map(|line| line.chars().take(name_key.position.column - 1).collect())
        .unwrap_or_default();
    // Flow style puts several keys on one line; a one-line edit cannot stay faithful there.
    let is_flow = name_value.position.line != name_key.position.line
        || entries.len() > 1
            && entries
                .iter()
                .any(|(key, _)| key.position.line == name_key.position.line && key != name_key)
        || before_name.contains('{');
    // Anything else before the key on its line (an anchor, a tag) is not indentation.
    (!is_flow && before_name.chars().all(|character| character == ' ')).then_some(before_name)
}

/// The 0-based index of the line a key is on.
fn key_line(key: &Node) -> usize {
    key.position.line - 1
}

/// `lines` joined, with the line at `target` rewritten by `rewrite`.
fn replace_line(lines: &[&str], target: usize, rewrite: impl Fn(&str) -> String) -> String {
    let mut output = String::with_capacity(lines.iter().map(|line| line.len()).sum::<usize>() + 32);
    for (index, line) in lines.iter().enumerate() {
        if index == target {
            output.push_str(&rewrite(line));
        } else {
            output.push_str(line);
        }
    }
    output
}

/// `lines` joined, with `inserted` after the line at `target` (ending that line first when it
/// was the last and had no line ending).
fn insert_after(lines: &[&str], target: usize, inserted: &str, ending: &str) -> String {
    let mut output = String::with_capacity(lines.iter().map(|line| line.len()).sum::<usize>() + 32);
    for (index, line) in lines.iter().enumerate() {
        output.push_str(line);
        if index == target {
            if !line.ends_with('\n') {
                output.push_str(ending);
            }
            output.push_str(inserted);
        }
    }
    output
}

/// Rewrites `caseId: <old>   # comment` to `caseId: "<new>"   # comment`.
fn replace_value_keep_comment(line: &str, case_id: &str) -> String {
    let (content, ending) = match line.strip_suffix("\r\n") {
        Some(content) => (content, "\r\n"),
        None => match line.strip_suffix('\n') {
            Some(content) => (content, "\n"),
            None => (line, ""),
        },
    };
    let colon = content.find(':').unwrap_or(content.len());
    let comment = content
        .find(" #")
        .filter(|position| *position > colon)
        .map_or("", |position| {
            // Keep the spacing before the comment as written.
            let value_end = content[..position].trim_end_matches([' ', '\t']).len();
            &content[value_end..]
        });
    format!("{}: \"{case_id}\"{comment}{ending}", &content[..colon])
}

fn has_lone_carriage_return(text: &str) -> bool {
    text.match_indices('\r')
        .any(|(index, _)| !text[index + 1..].starts_with('\n'))
}

fn line_ending(text: &str) -> &'static str {
    if text.contains("\r\n") { "\r\n" } else { "\n" }
}

fn field<'a>(node: &'a Node, name: &str) -> Option<&'a Node> {
    let NodeKind::Mapping(entries) = &node.kind else {
        return None;
    };
    entry(entries, name).map(|(_, value)| value)
}

/// The entry of a mapping whose key is the scalar `name`.
fn entry<'a>(entries: &'a [(Node, Node)], name: &str) -> Option<(&'a Node, &'a Node)> {
    entries
        .iter()
        .find(|(key, _)| matches!(&key.kind, NodeKind::Scalar { text, .. } if text == name))
        .map(|(key, value)| (key, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# yaml-language-server: $schema=../schemas/case.schema.json\n# first\napiVersion: sirops/v1\nkind: Case\nmetadata:\n  name: first   # the first one\n  # keep me\nspec:\n  title: a\n---\napiVersion: sirops/v1\nkind: Case\nmetadata:\n    caseId: '9999999999'  # old\n    name: second\nspec: {}\n";

    #[test]
    fn inserts_a_line_after_the_name_and_changes_nothing_else() {
        let written = write_back_case_id(FILE, "first", "1234567890").unwrap();
        assert_eq!(
            written,
            FILE.replace(
                "  name: first   # the first one\n",
                "  name: first   # the first one\n  caseId: \"1234567890\"\n"
            )
        );
    }

    #[test]
    fn replaces_an_existing_case_id_keeping_its_comment() {
        let written = write_back_case_id(FILE, "second", "1234567890").unwrap();
        assert_eq!(
            written,
            FILE.replace(
                "    caseId: '9999999999'  # old\n",
                "    caseId: \"1234567890\"  # old\n"
            )
        );
    }

    #[test]
    fn written_files_still_parse_with_the_id_bound() {
        let written = write_back_case_id(FILE, "first", "1234567890").unwrap();
        let stream = parse_stream(&written);
        assert!(stream.errors.is_empty());
        let metadata = field(stream.documents[0].root.as_ref().unwrap(), "metadata").unwrap();
        assert!(
            matches!(&field(metadata, "caseId").unwrap().kind, NodeKind::Scalar { text, .. } if text == "1234567890")
        );
    }

    #[test]
    fn keeps_crlf_line_endings_and_a_missing_final_newline() {
        let text = "metadata:\r\n  name: x\r\nspec: 1";
        assert_eq!(
            write_back_case_id(text, "x", "1234567890").unwrap(),
            "metadata:\r\n  name: x\r\n  caseId: \"1234567890\"\r\nspec: 1"
        );
        assert_eq!(
            write_back_case_id("metadata:\n  name: x", "x", "1234567890").unwrap(),
            "metadata:\n  name: x\n  caseId: \"1234567890\"\n"
        );
    }

    #[test]
    fn refuses_what_it_cannot_edit_faithfully() {
        assert_eq!(
            write_back_case_id(FILE, "third", "1234567890"),
            Err(WriteBackError::ManifestNotFound("third".into()))
        );
        assert!(matches!(
            write_back_case_id("metadata: {name: x}\n", "x", "1234567890"),
            Err(WriteBackError::UnsupportedLayout(..))
        ));
        assert!(matches!(
            write_back_case_id(FILE, "first", "12\"\n"),
            Err(WriteBackError::InvalidCaseId(..))
        ));
        let twice = format!("{FILE}---\nmetadata:\n  name: first\n");
        assert!(matches!(
            write_back_case_id(&twice, "first", "1234567890"),
            Err(WriteBackError::AmbiguousManifest(..))
        ));
        assert!(matches!(
            write_back_case_id("metadata:\r  name: x\rspec: 1\r", "x", "1234567890"),
            Err(WriteBackError::UnsupportedLayout(..))
        ));
    }

    #[test]
    fn characters_before_the_key_are_counted_as_characters() {
        // Columns count characters; sliced as bytes, these lines cut a character in two or
        // miss the `{` that marks flow style.
        for text in [
            "{kind: \u{1F600}\u{1F600}, metadata: {name: x}}\n",
            "{kind: Cäse, metadata: {name: x}}\n",
            "{kind: Cäsé, metadata: {name: x}}\n",
            "metadata:\n  &\u{1F600} name: x\n",
            "metadata:\n  !!str name: x\n",
        ] {
            let written = write_back_case_id(text, "x", "1234567890");
            assert!(
                matches!(written, Err(WriteBackError::UnsupportedLayout(..))),
                "{text:?}: {written:?}"
            );
        }
    }

    #[test]
    fn non_ascii_around_the_keys_is_kept() {
        let text = "# résumé \u{1F600}\nmetadata:   # métadonnées\n  name: x   # nom \u{1F600}\n  caseId: '9999999999é'  # ancien \u{1F600}\nspec:\n  title: Café\n";
        assert_eq!(
            write_back_case_id(text, "x", "1234567890").unwrap(),
            text.replace(
                "  caseId: '9999999999é'  # ancien",
                "  caseId: \"1234567890\"  # ancien"
            )
        );
        let text = "metadata:\n  name: \"x\" # \u{1F600}é\n";
        assert_eq!(
            write_back_case_id(text, "x", "1234567890").unwrap(),
            format!("{text}  caseId: \"1234567890\"\n")
        );
    }

    /// The manifest named `x` and its case id, when the text still holds exactly one.
    fn bound_case_id(text: &str) -> Option<String> {
        let stream = parse_stream(text);
        let roots: Vec<&Node> = stream
            .documents
            .iter()
            .filter_map(|document| document.root.as_ref())
            .filter(|root| {
                field(root, "metadata")
                    .and_then(|metadata| field(metadata, "name"))
                    .is_some_and(
                        |name| matches!(&name.kind, NodeKind::Scalar { text, .. } if text == "x"),
                    )
            })
            .collect();
        let [root] = roots.as_slice() else {
            return None;
        };
        match &field(field(root, "metadata")?, "caseId")?.kind {
            NodeKind::Scalar { text, .. } => Some(text.clone()),
            _ => None,
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 500, ..Default::default() })]

        /// Whatever surrounds the key, with characters of every width, write-back either
        /// refuses or binds exactly the id it was given, and never panics.
        #[test]
        fn write_back_binds_the_id_or_refuses(
            before in "[ a-zé\u{1F600}{}&!:,#'\"-]{0,12}",
            after in "[ a-zé\u{1F600}{}:,#'\"-]{0,12}",
            case_id_line in proptest::option::of("[ a-zé\u{1F600}#'\"0-9]{0,16}"),
            newline in "\n|\r\n|\r",
        ) {
            let mut text = format!("metadata:{newline}{before}name: x{after}{newline}");
            if let Some(line) = case_id_line {
                text.push_str(&format!("  caseId: {line}{newline}"));
            }
            text.push_str(&format!("spec: {{}}{newline}"));
            if let Ok(written) = write_back_case_id(&text, "x", "1234567890") {
                let bound = bound_case_id(&written);
                proptest::prop_assert_eq!(
                    bound.as_deref(),
                    Some("1234567890"),
                    "{:?} became {:?}",
                    text,
                    written
                );
            }
        }
    }
}
