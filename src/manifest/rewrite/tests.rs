use std::path::Path;

use proptest::strategy::Strategy;
use serde_json::json;

use super::render::is_plain_safe;
use super::*;
use crate::manifest::parse_source;
use crate::model::{DesiredCase, Timestamp};

const OTHER: &str = "# another manifest\napiVersion: sirops/v1\nkind: Case\nmetadata:\n  name: other\nspec:\n  title: Other   # other title\n  description: Other.\n  engagementType: Investigation\n  resolverType: Self\n  reportedIncidentStartDate: 2026-11-01T00:00:00Z\n  tags: {team: other}\n";

/// The fields every manifest needs, written plainly, except `without`.
fn required_fields(without: SpecField) -> String {
    [
        (SpecField::Title, "  title: Old title\n"),
        (SpecField::Description, "  description: Old description.\n"),
        (
            SpecField::EngagementType,
            "  engagementType: Security Incident\n",
        ),
        (SpecField::ResolverType, "  resolverType: Self\n"),
        (
            SpecField::ReportedIncidentStartDate,
            "  reportedIncidentStartDate: 2026-11-20T08:00:00Z\n",
        ),
    ]
    .into_iter()
    .filter(|(field, _)| *field != without)
    .map(|(_, line)| line)
    .collect()
}

fn head(field: SpecField) -> String {
    format!(
        "{OTHER}---\n# the subject\napiVersion: sirops/v1\nkind: Case\nmetadata:\n  name: subject\nspec:\n{}  # above the field\n",
        required_fields(field)
    )
}

const TAIL: &str = "  # below the field\n\n  # still in the spec\n---\n# a third manifest\napiVersion: sirops/v1\nkind: Case\nmetadata:\n  name: third\nspec: {}\n";

fn desired(text: &str, name: &str) -> DesiredCase {
    let parsed = parse_source(Path::new("x.yaml"), text.as_bytes());
    parsed
        .manifests
        .iter()
        .find(|manifest| manifest.desired.name == name)
        .unwrap_or_else(|| panic!("no valid {name} in\n{text}\n{:?}", parsed.diagnostics))
        .desired
        .clone()
}

/// What `desired` holds for `field`, as the manifest would write it.
fn desired_value(desired: &DesiredCase, field: SpecField) -> serde_json::Value {
    serde_json::to_value(desired).unwrap()[field.name()].clone()
}

/// `value` as `desired_value` gives it back: dates in their canonical form.
fn normalised(field: SpecField, value: &serde_json::Value) -> serde_json::Value {
    match field {
        SpecField::ReportedIncidentStartDate | SpecField::ActualIncidentStartDate => {
            serde_json::to_value(Timestamp::parse_rfc3339(value.as_str().unwrap()).unwrap())
                .unwrap()
        }
        _ => value.clone(),
    }
}

/// Rewrites `field`, written as `old` between a head and a tail of other documents, fields
/// and comments, to `new`; checks that the manifest now holds `new` and that the head and the
/// tail are untouched. Returns the rewritten field's text.
fn rewrite_one(field: SpecField, old: &str, new: &serde_json::Value) -> String {
    let head = head(field);
    let text = format!("{head}{old}{TAIL}");
    let rewritten = rewrite_fields(&text, "subject", &[(field, new.clone())])
        .unwrap_or_else(|error| panic!("{error}\n{text}"));
    assert!(rewritten.starts_with(&head), "{rewritten}");
    assert!(rewritten.ends_with(TAIL), "{rewritten}");
    let middle = &rewritten[head.len()..rewritten.len() - TAIL.len()];
    let key = format!("  {}:", field.name());
    assert!(middle.starts_with(&key), "{middle:?}");
    assert_eq!(
        desired_value(&desired(&rewritten, "subject"), field),
        normalised(field, new),
        "{rewritten}"
    );
    assert_eq!(desired(&rewritten, "other"), desired(&text, "other"));
    middle.to_string()
}

/// Each field in each style a value can be written in.
#[test]
fn every_field_in_every_style_is_replaced_and_nothing_else() {
    let title = json!("New title");
    let cases: Vec<(SpecField, &str, serde_json::Value, &str)> = vec![
        (
            SpecField::Title,
            "  title: Old\n",
            title.clone(),
            "  title: New title\n",
        ),
        (
            SpecField::Title,
            "  title: 'It''s old'\n",
            title.clone(),
            "  title: New title\n",
        ),
        (
            SpecField::Title,
            "  title: \"Old\\n \\\"one\\\"\"\n",
            title.clone(),
            "  title: New title\n",
        ),
        (
            SpecField::Title,
            "  title: \"Old over\n    two lines\"\n",
            title.clone(),
            "  title: New title\n",
        ),
        (
            SpecField::Title,
            "  title: Old plain\n    over two lines\n",
            title.clone(),
            "  title: New title\n",
        ),
        (
            SpecField::Title,
            "  title: |\n    Old\n    # not a comment\n",
            title.clone(),
            "  title: New title\n",
        ),
        (
            SpecField::Title,
            "  title: >-\n    Old\n    folded\n",
            title.clone(),
            "  title: New title\n",
        ),
        (
            SpecField::Title,
            "  title:\n    Old on the next line\n",
            title.clone(),
            "  title: New title\n",
        ),
        (
            SpecField::Title,
            "  title: Old   # beside\n",
            json!("New: with #1"),
            "  title: \"New: with #1\"   # beside\n",
        ),
        (
            SpecField::Description,
            "  description: |  # beside\n    Old line one.\n\n    Old line three.\n",
            json!("Line one.\n\nLine three.\n"),
            "  description: |  # beside\n    Line one.\n\n    Line three.\n",
        ),
        (
            SpecField::Description,
            "  description: Old.\n",
            json!("No final\nnewline"),
            "  description: |-\n    No final\n    newline\n",
        ),
        (
            SpecField::Description,
            "  description: Old.\n",
            json!("  leading blanks\nand\ttab\u{7}"),
            "  description: \"  leading blanks\\nand\\ttab\\x07\"\n",
        ),
        (
            SpecField::EngagementType,
            "  engagementType: \"Security Incident\"\n",
            json!("Investigation"),
            "  engagementType: Investigation\n",
        ),
        (
            SpecField::ResolverType,
            "  resolverType: 'Self' # who resolves\n",
            json!("AWS"),
            "  resolverType: AWS # who resolves\n",
        ),
        (
            SpecField::Status,
            "  status: Detection and Analysis\n",
            json!("Containment, Eradication and Recovery"),
            "  status: Containment, Eradication and Recovery\n",
        ),
        (
            SpecField::ReportedIncidentStartDate,
            "  reportedIncidentStartDate: '2026-11-20T08:00:00Z'\n",
            json!("2026-11-21T09:30:00.250Z"),
            "  reportedIncidentStartDate: 2026-11-21T09:30:00.250Z\n",
        ),
        (
            SpecField::ActualIncidentStartDate,
            "  actualIncidentStartDate: 2026-11-19T22:10:00+01:00\n",
            json!("2026-11-19T21:00:00Z"),
            "  actualIncidentStartDate: 2026-11-19T21:00:00Z\n",
        ),
        (
            SpecField::Watchers,
            "  watchers:   # who watches\n    - email: old@example.com\n      # between members\n      name: Old\n    - {email: older@example.com}\n",
            json!([{"email": "a@example.com", "jobTitle": "CISO", "name": "Alice Doe"}, {"email": "b@example.com"}]),
            "  watchers:   # who watches\n    - email: a@example.com\n      name: Alice Doe\n      jobTitle: CISO\n    - email: b@example.com\n",
        ),
        (
            SpecField::Watchers,
            "  watchers: [{email: old@example.com, name: Old}]\n",
            json!([{"email": "a@example.com", "name": "Doe: Alice"}]),
            "  watchers:\n    - email: a@example.com\n      name: \"Doe: Alice\"\n",
        ),
        (
            SpecField::Watchers,
            "  watchers: []\n",
            json!([{"email": "a@example.com"}]),
            "  watchers:\n    - email: a@example.com\n",
        ),
        (
            SpecField::ThreatActorIpAddresses,
            "  threatActorIpAddresses:\n  - ipAddress: 198.51.100.7\n    userAgent: curl/8.4.0\n",
            json!([{"ipAddress": "203.0.113.9", "userAgent": "Mozilla/5.0 (X11; Linux) #1"}]),
            "  threatActorIpAddresses:\n    - ipAddress: 203.0.113.9\n      userAgent: \"Mozilla/5.0 (X11; Linux) #1\"\n",
        ),
        (
            SpecField::ThreatActorIpAddresses,
            "  threatActorIpAddresses:\n    - ipAddress: 198.51.100.7\n",
            json!([]),
            "  threatActorIpAddresses: []\n",
        ),
        (
            SpecField::ImpactedServices,
            "  impactedServices: [AWS IAM, \"Amazon S3\"]  # services\n",
            json!(["Amazon S3", "AWS CloudTrail"]),
            "  impactedServices:  # services\n    - Amazon S3\n    - AWS CloudTrail\n",
        ),
        (
            SpecField::ImpactedServices,
            "  impactedServices: [\n      AWS IAM,   # a comment inside\n      'Amazon S3 [x]',\n    ]\n",
            json!(["Amazon EC2"]),
            "  impactedServices:\n    - Amazon EC2\n",
        ),
        (
            SpecField::ImpactedAwsRegions,
            "  impactedAwsRegions:\n  - eu-west-1\n  # between items\n  - us-east-1\n",
            json!(["eu-central-1"]),
            "  impactedAwsRegions:\n    - eu-central-1\n",
        ),
        (
            SpecField::ImpactedAccounts,
            "  impactedAccounts: [\"123456789012\"]\n",
            json!(["012345678901", "210987654321"]),
            "  impactedAccounts:\n    - \"012345678901\"\n    - \"210987654321\"\n",
        ),
        (
            SpecField::CaseMetadata,
            "  caseMetadata:\n    severity: high   # beside an entry\n    ticket: |\n      SEC-1\n",
            json!({"severity": "low", "ticket": "SEC-2"}),
            "  caseMetadata:\n    severity: low\n    ticket: SEC-2\n",
        ),
        (
            SpecField::CaseMetadata,
            "  caseMetadata: {severity: high}\n",
            json!({"note": "two\nlines"}),
            "  caseMetadata:\n    note: |-\n      two\n      lines\n",
        ),
        (
            SpecField::Tags,
            "  tags: {team: secops, 'cost centre': '42'}\n",
            json!({"team": "ir", "needs: quote": "yes", "empty": ""}),
            "  tags:\n    empty: \"\"\n    \"needs: quote\": \"yes\"\n    team: ir\n",
        ),
        (
            SpecField::Tags,
            "  tags: {}\n",
            json!({"team": "ir"}),
            "  tags:\n    team: ir\n",
        ),
        (
            SpecField::Tags,
            "  tags:\n    team: secops\n",
            json!({}),
            "  tags: {}\n",
        ),
    ];
    for (field, old, new, expected) in cases {
        assert_eq!(
            rewrite_one(field, old, &new),
            expected,
            "{field} from {old:?}"
        );
    }
}

#[test]
fn comments_above_beside_and_below_are_kept() {
    let text = "apiVersion: sirops/v1\nkind: Case\nmetadata:\n  name: x\nspec:\n  # above the title\n  title: Old   # beside the title\n  # below the title\n  description: Old.\n  engagementType: Investigation\n  resolverType: Self\n  reportedIncidentStartDate: 2026-11-20T08:00:00Z\n  tags:   # beside the tags\n    team: old   # beside an old tag, which goes with it\n  # below the tags\n# after the spec\n";
    let rewritten = rewrite_fields(
        text,
        "x",
        &[
            (SpecField::Title, json!("New")),
            (SpecField::Tags, json!({"team": "new"})),
        ],
    )
    .unwrap();
    assert_eq!(
        rewritten,
        text.replace("title: Old ", "title: New ").replace(
            "    team: old   # beside an old tag, which goes with it\n",
            "    team: new\n"
        )
    );
}

#[test]
fn only_the_named_document_changes() {
    let text = format!("{}{TAIL}", head(SpecField::Status));
    let rewritten =
        rewrite_fields(&text, "other", &[(SpecField::Title, json!("Renamed"))]).unwrap();
    assert_eq!(
        rewritten,
        text.replacen(
            "title: Other   # other title",
            "title: Renamed   # other title",
            1
        )
    );
    assert_eq!(desired(&rewritten, "other").title, "Renamed");
    assert_eq!(desired(&rewritten, "subject"), desired(&text, "subject"));
}

#[test]
fn a_missing_field_is_added_at_the_end_of_the_spec() {
    let text = format!("{}{TAIL}", head(SpecField::Status));
    let rewritten = rewrite_fields(
        &text,
        "subject",
        &[
            (SpecField::Status, json!("Closed")),
            (SpecField::ImpactedAccounts, json!(["123456789012"])),
        ],
    )
    .unwrap();
    assert_eq!(
        rewritten,
        text.replace(
            "  reportedIncidentStartDate: 2026-11-20T08:00:00Z\n  # above the field\n",
            "  reportedIncidentStartDate: 2026-11-20T08:00:00Z\n  status: Closed\n  impactedAccounts:\n    - \"123456789012\"\n  # above the field\n"
        )
    );
    let subject = desired(&rewritten, "subject");
    assert_eq!(subject.status, Some(crate::model::CaseStatus::Closed));
}

#[test]
fn new_fields_follow_a_last_value_of_several_lines_and_copy_the_indentation() {
    let text = "metadata:\n    name: x\nspec:\n    title: T\n    tags:\n        team: a\n\n    # trailing\n";
    let rewritten = rewrite_fields(
        text,
        "x",
        &[(
            SpecField::Watchers,
            json!([{"email": "a@example.com", "name": "A"}]),
        )],
    )
    .unwrap();
    assert_eq!(
        rewritten,
        "metadata:\n    name: x\nspec:\n    title: T\n    tags:\n        team: a\n    watchers:\n        - email: a@example.com\n          name: A\n\n    # trailing\n"
    );
}

#[test]
fn line_endings_and_a_missing_final_newline_are_kept() {
    let text = "metadata:\r\n  name: x\r\nspec:\r\n  title: Old\r\n  tags:\r\n    a: b";
    assert_eq!(
        rewrite_fields(
            text,
            "x",
            &[
                (SpecField::Title, json!("New")),
                (SpecField::Tags, json!({"a": "c", "d": "e"}))
            ]
        )
        .unwrap(),
        "metadata:\r\n  name: x\r\nspec:\r\n  title: New\r\n  tags:\r\n    a: c\r\n    d: e"
    );
    assert_eq!(
        rewrite_fields(
            "metadata:\n  name: x\nspec:\n  title: Old",
            "x",
            &[(SpecField::Description, json!("D"))]
        )
        .unwrap(),
        "metadata:\n  name: x\nspec:\n  title: Old\n  description: D"
    );
}

#[test]
fn strings_are_plain_only_where_every_yaml_reader_keeps_them_strings() {
    for plain in [
        "Security Incident",
        "Containment, Eradication and Recovery",
        "2026-11-20T08:00:00Z",
        "198.51.100.7",
        "2001:DB8:0:0:0:0:0:1",
        "curl/8.4.0",
        "a#b",
        "Café \u{1F600}",
        "http://example.com/a?b=c",
    ] {
        assert!(is_plain_safe(plain), "{plain:?}");
    }
    for quoted in [
        "",
        " a",
        "a ",
        "123",
        "0123",
        "1_000",
        "-1",
        "+1.5",
        ".5",
        "1e3",
        "0x1F",
        "0o17",
        "12:30",
        ".inf",
        "-.inf",
        ".NaN",
        "true",
        "False",
        "yes",
        "NO",
        "on",
        "y",
        "~",
        "null",
        "NULL",
        "<<",
        "=",
        "- a",
        "-a",
        "? a",
        ":a",
        "a:",
        "a: b",
        "a #b",
        "#a",
        "&a",
        "*a",
        "!a",
        "|a",
        ">a",
        "'a",
        "\"a",
        "%a",
        "@a",
        "`a",
        "[a",
        "{a",
        "...",
        "a\tb",
        "a\nb",
        "\u{85}",
        "\u{FEFF}a",
        "a\u{2028}b",
    ] {
        assert!(!is_plain_safe(quoted), "{quoted:?}");
    }
}

fn subject_with(field_text: &str) -> String {
    format!(
        "apiVersion: sirops/v1\nkind: Case\nmetadata:\n  name: x\nspec:\n{}{field_text}",
        required_fields(SpecField::Status)
    )
}

fn refused(text: &str, fields: &[(SpecField, serde_json::Value)]) -> RewriteError {
    match rewrite_fields(text, "x", fields) {
        Ok(rewritten) => panic!("rewrote {text:?} to {rewritten:?}"),
        Err(error) => error,
    }
}

#[test]
fn a_file_without_the_manifest_or_with_it_twice_is_refused() {
    let title = [(SpecField::Title, json!("New"))];
    assert_eq!(
        refused(OTHER, &title),
        RewriteError::ManifestNotFound("x".into())
    );
    let twice = format!("{}---\n{}", subject_with(""), subject_with(""));
    let error = refused(&twice, &title);
    assert_eq!(
        error,
        RewriteError::AmbiguousManifest {
            name: "x".into(),
            first: 1,
            line: 12
        }
    );
    assert!(error.to_string().starts_with("line 12: "), "{error}");
}

#[test]
fn a_spec_that_is_not_a_block_mapping_is_refused() {
    let title = [(SpecField::Title, json!("New"))];
    for (text, line) in [
        ("metadata:\n  name: x\nspec: {title: Old}\n", 3),
        ("metadata:\n  name: x\nspec:\n", 3),
        ("metadata:\n  name: x\n", 1),
        ("metadata:\n  name: x\nspec: {\n  title: Old }\n", 3),
        ("metadata:\n  name: x\nspec: &s\n  title: Old\n", 3),
        ("metadata:\n  name: x\nspec: !!map\n  title: Old\n", 3),
    ] {
        let error = refused(text, &title);
        assert_eq!(
            error,
            RewriteError::SpecNotBlockMapping {
                name: "x".into(),
                line
            },
            "{text:?}"
        );
        assert!(error.to_string().starts_with(&format!("line {line}: ")));
    }
}

#[test]
fn anchors_aliases_and_tags_in_a_replaced_value_are_refused() {
    let base = subject_with("");
    let title_line = 10;
    for (old, new, line) in [
        (
            "  title: &t Old\n",
            (SpecField::Title, json!("New")),
            title_line,
        ),
        (
            "  title: !!str Old\n",
            (SpecField::Title, json!("New")),
            title_line,
        ),
        (
            "  impactedServices:\n    - &s Amazon S3\n  caseMetadata:\n    service: *s\n",
            (SpecField::ImpactedServices, json!(["AWS IAM"])),
            12,
        ),
        (
            "  impactedServices:\n    - &s Amazon S3\n  caseMetadata:\n    service: *s\n",
            (SpecField::CaseMetadata, json!({"service": "AWS IAM"})),
            14,
        ),
        (
            "  tags: !!map\n    team: a\n",
            (SpecField::Tags, json!({"team": "b"})),
            11,
        ),
    ] {
        let text = base.replacen(
            "  title: Old title\n",
            "",
            usize::from(old.starts_with("  title")),
        ) + old;
        let error = refused(&text, std::slice::from_ref(&new));
        assert_eq!(
            error,
            RewriteError::AnchorOrTag { field: new.0, line },
            "{text}"
        );
        assert!(error.to_string().starts_with(&format!("line {line}: ")));
    }
}

#[test]
fn layouts_a_text_edit_cannot_keep_are_refused() {
    let title = [(SpecField::Title, json!("New"))];
    let twice = subject_with("  title: Again\n");
    assert!(matches!(
        refused(&twice, &title),
        RewriteError::UnsupportedLayout { line: 11, .. }
    ));
    let explicit_key = "metadata:\n  name: x\nspec:\n  ? title\n  : Old\n";
    assert!(matches!(
        refused(explicit_key, &title),
        RewriteError::SpecNotBlockMapping { line: 4, .. }
    ));
    let lone_carriage_return = "metadata:\n  name: x\nspec:\r  title: Old\n";
    assert!(matches!(
        refused(lone_carriage_return, &title),
        RewriteError::UnsupportedLayout { line: 3, .. }
    ));
    let broken = "metadata:\n  name: x\nspec:\n  title: [Old\n";
    assert!(matches!(
        refused(broken, &title),
        RewriteError::InvalidYaml { .. }
    ));
}

#[test]
fn values_not_in_the_fields_form_are_refused() {
    let text = subject_with("");
    for (field, value) in [
        (SpecField::Title, json!(12)),
        (SpecField::Title, json!(null)),
        (SpecField::ImpactedServices, json!("Amazon S3")),
        (SpecField::ImpactedServices, json!([1])),
        (SpecField::Watchers, json!([{"name": "no email"}])),
        (
            SpecField::Watchers,
            json!([{"email": "a@example.com", "phone": "1"}]),
        ),
        (SpecField::ThreatActorIpAddresses, json!([{"ipAddress": 1}])),
        (SpecField::Tags, json!({"team": 1})),
        (SpecField::CaseMetadata, json!(["a"])),
    ] {
        assert!(
            matches!(refused(&text, &[(field, value.clone())]), RewriteError::InvalidValue { field: refused_field, .. } if refused_field == field),
            "{field} {value}"
        );
    }
    assert!(matches!(
        refused(
            &text,
            &[
                (SpecField::Title, json!("a")),
                (SpecField::Title, json!("b"))
            ]
        ),
        RewriteError::InvalidValue { .. }
    ));
}

/// Characters YAML treats specially, often, and any character now and then.
fn awkward_string(max: usize) -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let character = prop_oneof![
        3 => proptest::sample::select(vec![
            ' ', '\n', '\t', '\r', ':', '#', '\'', '"', '-', '?', '|', '>', '&', '*', '!', '%',
            '@', '`', '[', ']', '{', '}', ',', '.', '0', '1', 'e', 'x', '~', '\\', '\u{85}',
            '\u{A0}', '\u{2028}', '\u{FEFF}', '\u{0}', '\u{7F}', 'é', '\u{1F600}',
        ]),
        2 => proptest::char::range('a', 'z'),
        1 => any::<char>(),
    ];
    proptest::collection::vec(character, 0..max)
        .prop_map(|characters| characters.into_iter().collect())
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 300, ..Default::default() })]

    /// Whatever the strings, the rewritten file reads back as exactly the new values, and
    /// the other documents and fields are unchanged.
    #[test]
    fn random_values_round_trip(
        title in awkward_string(40),
        description in awkward_string(80),
        tags in proptest::collection::btree_map(awkward_string(12), awkward_string(12), 0..4),
        old_style in 0..4usize,
    ) {
        let title = if title.is_empty() { "t".to_string() } else { title };
        let description = if description.is_empty() { "d".to_string() } else { description };
        let tags: std::collections::BTreeMap<String, String> = tags
            .into_iter()
            .filter(|(key, _)| !key.is_empty() && !crate::model::is_reserved_tag_key(key))
            .collect();
        let old_tags = ["  tags: {a: b}\n", "  tags:\n    a: b\n", "  tags: {}\n", ""][old_style];
        let text = format!("{OTHER}---\n{}{old_tags}  # below\n", subject_with(""));
        let rewritten = rewrite_fields(
            &text,
            "x",
            &[
                (SpecField::Title, json!(title)),
                (SpecField::Description, json!(description)),
                (SpecField::Tags, json!(tags)),
            ],
        );
        let rewritten = match rewritten {
            Ok(rewritten) => rewritten,
            Err(error) => return Err(proptest::test_runner::TestCaseError::fail(format!("{error}"))),
        };
        proptest::prop_assert!(rewritten.starts_with(OTHER));
        proptest::prop_assert!(rewritten.ends_with("  # below\n"));
        let parsed = desired(&rewritten, "x");
        proptest::prop_assert_eq!(&parsed.title, &title);
        proptest::prop_assert_eq!(&parsed.description, &description);
        proptest::prop_assert_eq!(parsed.tags.as_ref(), Some(&tags));
        proptest::prop_assert_eq!(desired(&rewritten, "other"), desired(&text, "other"));
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 500, ..Default::default() })]

    /// Whatever is written around and as the old value, a rewrite either refuses or leaves a
    /// file whose title is the new one, with what comes before the field and after the spec
    /// untouched; it never panics.
    #[test]
    fn any_old_layout_is_rewritten_faithfully_or_refused(
        beside in awkward_string(10),
        old in awkward_string(30),
        below in awkward_string(20),
        indent in 1..5usize,
    ) {
        let pad = " ".repeat(indent);
        let before = format!("metadata:\n  name: x\nspec:\n{pad}description: D\n");
        let after = "---\nmetadata:\n  name: y\n";
        let text = format!("{before}{pad}title:{beside}{old}\n{below}\n{after}");
        if let Ok(rewritten) = rewrite_fields(&text, "x", &[(SpecField::Title, json!("New: title"))]) {
            proptest::prop_assert!(rewritten.starts_with(&before), "{:?}", rewritten);
            proptest::prop_assert!(rewritten.ends_with(after), "{:?}", rewritten);
            let stream = parse_stream(&rewritten);
            let spec = stream.documents[0].root.as_ref().and_then(|root| super::field(root, "spec"));
            let title = spec.and_then(|spec| field(spec, "title"));
            proptest::prop_assert!(
                title.is_some_and(|title| is_scalar(title, "New: title")),
                "{:?} became {:?}",
                text,
                rewritten
            );
        }
    }
}

/// Text without line breaks, for comments and one-line values.
fn one_line(max: usize) -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::strategy::Strategy;
    awkward_string(max).prop_map(|text| {
        text.chars()
            .filter(|character| {
                !matches!(character, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
            })
            .collect()
    })
}

/// A value as people write one, in any of the styles YAML offers, at `indent`.
fn old_value(indent: usize) -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let pad = " ".repeat(indent + 2);
    let word = "[a-zA-Z0-9][a-zA-Z0-9 .,/()-]{0,12}[a-zA-Z0-9]";
    let words = proptest::collection::vec(word, 1..4);
    let pad_block = pad.clone();
    let pad_list = pad.clone();
    let pad_map = pad.clone();
    let pad_plain = pad.clone();
    prop_oneof![
        Just(String::new()),
        word.prop_map(|word| format!(" {word}")),
        words
            .clone()
            .prop_map(move |words| format!(" {}", words.join(&format!("\n{pad_plain}")))),
        one_line(20).prop_map(|text| format!(" '{}'", text.replace('\'', "''"))),
        awkward_string(20).prop_map(|text| format!(" {}", super::render::double_quoted(&text))),
        (
            proptest::sample::select(vec!["|", "|-", "|+", ">", ">-", "|2"]),
            words.clone()
        )
            .prop_map(move |(header, words)| format!(
                " {header}\n{}",
                words
                    .iter()
                    .map(|word| format!("{pad_block}{word}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            )),
        words
            .clone()
            .prop_map(|words| format!(" [{}]", words.join(", "))),
        words
            .clone()
            .prop_map(|words| format!(" [\n    {}\n  ]", words.join(",\n  # inside\n    "))),
        words.clone().prop_map(move |words| {
            words
                .iter()
                .map(|word| format!("\n{pad_list}- {word}"))
                .collect::<String>()
        }),
        words.prop_map(move |words| {
            words
                .iter()
                .enumerate()
                .map(|(index, word)| format!("\n{pad_map}k{index}: {word}"))
                .collect::<String>()
        }),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 500, ..Default::default() })]

    /// Whatever style the old value is in, with whatever comments beside and below it, the
    /// rewrite succeeds, the title reads back as the new one, and what comes before the field
    /// and after the value is untouched.
    #[test]
    fn every_old_style_is_rewritten(
        (indent, old) in (1..5usize).prop_flat_map(|indent| (proptest::strategy::Just(indent), old_value(indent))),
        beside in proptest::option::of(one_line(12)),
        below in proptest::collection::vec((0..6usize, proptest::option::of(one_line(12))), 0..3),
        new in awkward_string(30),
        kind in 0..3usize,
        last in proptest::bool::ANY,
    ) {
        let (field, new) = match kind {
            0 => (SpecField::Title, json!(new)),
            1 => (SpecField::Tags, json!({ new.clone(): new })),
            _ => (SpecField::ImpactedServices, json!([new, "Amazon S3"])),
        };
        let key = field.name();
        let pad = " ".repeat(indent);
        // yaml-rust2 reads a NUL in a comment after a block header as the end of the input.
        let without_nul = |text: String| text.replace('\0', "");
        let beside = beside.map_or(String::new(), |text| format!("  #{}", without_nul(text)));
        // A comment indented to a block scalar's content would be one of its lines.
        let is_block = old.starts_with(" |") || old.starts_with(" >");
        let below: String = below
            .into_iter()
            .map(|(depth, comment)| (if is_block { depth.min(indent) } else { depth }, comment))
            .map(|(depth, comment)| match comment {
                Some(text) => format!("{}#{}\n", " ".repeat(depth), without_nul(text)),
                None => "\n".to_string(),
            })
            .collect();
        let before = format!("# top\nmetadata:\n  name: x\nspec:\n{pad}description: D\n");
        let after = if last { "---\nmetadata:\n  name: y\n".to_string() } else { format!("{pad}status: Closed\n") };
        let old_field = if old.starts_with(" |") || old.starts_with(" >") || old.starts_with(" [") || old.is_empty() {
            format!("{pad}{key}:{old}{beside}")
        } else if old.starts_with('\n') {
            format!("{pad}{key}:{beside}{old}")
        } else {
            format!("{pad}{key}:{old}{beside}")
        };
        // A comment beside a block header goes after the header, not after the block.
        let old_field = if let Some(header_end) = old.find('\n').filter(|_| old.starts_with(" |") || old.starts_with(" >")) {
            format!("{pad}{key}:{}{beside}{}", &old[..header_end], &old[header_end..])
        } else if old.starts_with(" [\n") {
            format!("{pad}{key}:{old}")
        } else {
            old_field
        };
        let text = format!("{before}{old_field}\n{below}{after}");
        proptest::prop_assume!(parse_stream(&text).errors.is_empty());
        let rewritten = rewrite_fields(&text, "x", &[(field, new.clone())]);
        let rewritten = match rewritten {
            Ok(rewritten) => rewritten,
            Err(error) => return Err(proptest::test_runner::TestCaseError::fail(format!("{error}: {text:?}"))),
        };
        proptest::prop_assert!(rewritten.starts_with(&before), "{:?}", rewritten);
        let kept = format!("\n{below}{after}");
        proptest::prop_assert!(rewritten.ends_with(&kept), "{:?} became {:?}", text, rewritten);
        if !beside.is_empty() && !old.starts_with(" [\n") {
            proptest::prop_assert!(rewritten.contains(&beside), "{:?} became {:?}", text, rewritten);
        }
        let stream = parse_stream(&rewritten);
        let spec = stream.documents[0].root.as_ref().and_then(|root| super::field(root, "spec"));
        let value = spec.and_then(|spec| super::field(spec, key));
        let expected = Value::of_field(field, &new).unwrap();
        proptest::prop_assert!(value.is_some_and(|value| holds(value, &expected)), "{:?}", rewritten);
    }
}
