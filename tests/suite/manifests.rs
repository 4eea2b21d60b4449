//! Manifests end to end: the examples under `cases/` are valid, the checked-in schema is the
//! generated one, every broken manifest under `tests/bad_manifests/` yields exactly its
//! snapshotted diagnostics quickly and without panicking, and arbitrary input never panics.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use sirops::manifest::{self, Manifests, Severity};

/// Every corpus file, even in a debug build (they take a few milliseconds each).
const TIME_LIMIT: Duration = Duration::from_secs(1);

/// A file just under the size limit holds a few thousand manifests; in a debug build on a
/// shared machine reading them takes a moment, in release a few milliseconds.
const UNDER_THE_LIMIT: Duration = if cfg!(debug_assertions) {
    Duration::from_secs(5)
} else {
    Duration::from_secs(1)
};

fn render(manifests: &Manifests) -> String {
    let mut lines: Vec<String> = manifests
        .diagnostics
        .iter()
        .map(|diagnostic| diagnostic.to_string().replace('\\', "/"))
        .collect();
    lines.push(format!(
        "-- {} valid: {}",
        manifests.manifests.len(),
        manifests
            .manifests
            .iter()
            .map(|loaded| format!("{}@{}", loaded.desired.name, loaded.line))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    lines.join("\n")
}

#[test]
fn example_cases_are_valid_without_warnings() {
    let loaded = manifest::load(&[PathBuf::from("cases")]);
    assert_eq!(
        render(&loaded),
        "-- 5 valid: credential-stuffing-campaign@3, crypto-mining-aws-assist@3, lost-laptop-closed@3, payroll-phishing@3, s3-access-investigation@3"
    );
    for entry in std::fs::read_dir("cases").unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(text.starts_with("# yaml-language-server: $schema=../schemas/case.schema.json\n"));
        assert!(
            !text.contains("caseId"),
            "examples are created by --local, not bound"
        );
    }
}

#[test]
fn checked_in_schema_is_current() {
    let path = Path::new("schemas/case.schema.json");
    let generated = format!(
        "{}\n",
        serde_json::to_string_pretty(&manifest::json_schema()).unwrap()
    );
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "schemas/case.schema.json is stale; regenerate it with `UPDATE_SCHEMA=1 cargo test --test manifests checked_in_schema_is_current`"
    );
}

/// Every entry of the corpus: one file per case, or a directory for cross-file cases.
fn corpus() -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir("tests/bad_manifests")
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    entries
}

#[test]
fn bad_manifests_report_their_exact_diagnostics_quickly() {
    // Checked like docs.rs's examples: another collection, with its own minimum size.
    let entries = corpus();
    assert!(
        entries.len() >= 40,
        "the corpus has {} cases",
        entries.len()
    );
    for entry in entries {
        let name = entry.file_stem().unwrap().to_string_lossy().to_string();
        let started = Instant::now();
        let loaded = manifest::load(std::slice::from_ref(&entry));
        let elapsed = started.elapsed();
        assert!(elapsed < TIME_LIMIT, "{name} took {elapsed:?}");
        assert!(!loaded.diagnostics.is_empty(), "{name} reported nothing");
        insta::assert_snapshot!(name, render(&loaded));
    }
}

/// One manifest whose description is `size` bytes of `x`: over the API's limit, in a single
/// scalar.
fn one_long_description(size: usize) -> String {
    let mut text = String::from(
        "apiVersion: sirops/v1\nkind: Case\nmetadata:\n  name: huge\nspec:\n  title: t\n  engagementType: Investigation\n  resolverType: Self\n  reportedIncidentStartDate: 2026-11-20T08:00:00Z\n  description: ",
    );
    text.push_str(&"x".repeat(size - text.len() - 1));
    text.push('\n');
    text
}

/// Valid manifests, one per document, until the text is about `size` bytes.
fn many_documents(size: usize) -> (String, usize) {
    let document = |index: usize| {
        format!(
            "---\napiVersion: sirops/v1\nkind: Case\nmetadata:\n  name: case-{index}\nspec:\n  title: Case {index}\n  description: A generated case to measure reading speed.\n  engagementType: Investigation\n  resolverType: Self\n  reportedIncidentStartDate: 2026-11-20T08:00:00Z\n  watchers:\n    - email: alice@example.com\n  impactedAwsRegions: [us-east-1]\n"
        )
    };
    let mut text = String::new();
    let mut count = 0;
    loop {
        let next = document(count);
        if text.len() + next.len() > size {
            return (text, count);
        }
        text.push_str(&next);
        count += 1;
    }
}

#[test]
fn a_ten_megabyte_file_is_refused_quickly_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ten-megabytes.yaml");
    std::fs::write(&path, one_long_description(10 * 1024 * 1024)).unwrap();
    let started = Instant::now();
    let loaded = manifest::load(std::slice::from_ref(&path));
    let elapsed = started.elapsed();
    assert!(elapsed < TIME_LIMIT, "took {elapsed:?}");
    let rendered = render(&loaded).replace(&path.display().to_string(), "ten-megabytes.yaml");
    insta::assert_snapshot!("ten_megabytes_scalar", rendered);
}

#[test]
fn ten_megabytes_of_many_documents_are_refused_quickly() {
    let (text, _) = many_documents(10 * 1024 * 1024);
    let started = Instant::now();
    let loaded = manifest::parse_source(Path::new("many.yaml"), text.as_bytes());
    let elapsed = started.elapsed();
    assert!(elapsed < TIME_LIMIT, "took {elapsed:?}");
    assert_eq!(loaded.manifests.len(), 0);
    assert_eq!(
        render(&loaded),
        format!(
            "many.yaml:1:1: error: the file is {} bytes; a manifest file may be at most 1048576 bytes (1 MiB)\n  help: split the manifests over several files: even one at every API limit is a few hundred KB\n-- 0 valid: ",
            text.len()
        )
    );
}

#[test]
fn a_file_just_under_the_limit_is_read_quickly() {
    let (text, count) = many_documents(manifest::MANIFEST_FILE_MAX_BYTES);
    let started = Instant::now();
    let loaded = manifest::parse_source(Path::new("many.yaml"), text.as_bytes());
    let elapsed = started.elapsed();
    println!("{} bytes of {count} documents: {elapsed:?}", text.len());
    assert!(loaded.diagnostics.is_empty(), "{}", render(&loaded));
    assert_eq!(loaded.manifests.len(), count);
    assert!(elapsed < UNDER_THE_LIMIT, "took {elapsed:?}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("just-under.yaml");
    let text = one_long_description(manifest::MANIFEST_FILE_MAX_BYTES);
    assert_eq!(text.len(), manifest::MANIFEST_FILE_MAX_BYTES);
    std::fs::write(&path, text).unwrap();
    let started = Instant::now();
    let loaded = manifest::load(std::slice::from_ref(&path));
    let elapsed = started.elapsed();
    assert!(elapsed < UNDER_THE_LIMIT, "took {elapsed:?}");
    assert_eq!(
        loaded
            .diagnostics
            .iter()
            .map(|diagnostic| diagnostic.message.as_str())
            .collect::<Vec<_>>(),
        vec!["`spec.description` is longer than 8000 characters"]
    );
}

/// A device that never ends has no size in its metadata: only the bounded read stops it.
#[cfg(unix)]
#[test]
fn an_endless_file_is_refused_after_the_limit() {
    let path = PathBuf::from("/dev/zero");
    let started = Instant::now();
    let loaded = manifest::load(std::slice::from_ref(&path));
    assert!(started.elapsed() < TIME_LIMIT);
    assert_eq!(
        render(&loaded).lines().next().unwrap(),
        "/dev/zero:1:1: error: the file is more than 1048576 bytes; a manifest file may be at most 1048576 bytes (1 MiB)"
    );
}

const VALID_HEAD: &str = "apiVersion: sirops/v1\nkind: Case\nmetadata:\n  name: aliased\nspec:\n  engagementType: Investigation\n  resolverType: Self\n  reportedIncidentStartDate: 2026-11-20T08:00:00Z\n";

#[test]
fn aliases_of_long_strings_are_refused_quickly_at_the_alias_that_crosses_the_budget() {
    // Few nodes, long strings: 2,000 copies of 500,000 bytes would be a gigabyte.
    let mut text = format!(
        "{VALID_HEAD}  title: t\n  description: d\n  caseMetadata:\n    long: &long {}\n    copies: [",
        "x".repeat(500_000)
    );
    text.push_str(&vec!["*long"; 2_000].join(", "));
    text.push_str("]\n");
    assert!(text.len() < manifest::MANIFEST_FILE_MAX_BYTES);
    let started = Instant::now();
    let loaded = manifest::parse_source(Path::new("bomb.yaml"), text.as_bytes());
    let elapsed = started.elapsed();
    assert!(elapsed < TIME_LIMIT, "took {elapsed:?}");
    assert_eq!(
        render(&loaded),
        "bomb.yaml:13:28: error: aliases expand to more than 1048576 bytes (1 MiB) in this file; refusing what looks like an alias bomb\n  help: write the values out instead of repeating them through aliases\n-- 0 valid: "
    );
}

#[test]
fn an_alias_in_a_manifest_is_expanded() {
    let text = format!(
        "{VALID_HEAD}  title: &title Phishing against the payroll team\n  description: *title\n  tags: {{team: &team secops, owner: *team}}\n"
    );
    let loaded = manifest::parse_source(Path::new("aliased.yaml"), text.as_bytes());
    assert!(loaded.diagnostics.is_empty(), "{}", render(&loaded));
    let desired = &loaded.manifests[0].desired;
    assert_eq!(desired.description, "Phishing against the payroll team");
    assert_eq!(desired.tags.as_ref().unwrap()["owner"], "secops");
}

/// Longer than any message sirops writes about a manifest value once values are shortened.
const MESSAGE_CHARS_MAX: usize = 300;

/// Longer than any hint, the longest being the list of every AWS region.
const HINT_CHARS_MAX: usize = 1_000;

#[test]
fn long_values_are_shortened_in_messages_and_get_no_suggestion() {
    let long = |start: &str| format!("{start}{}", "z".repeat(5_000));
    // YAML allows implicit keys of at most 1,024 characters.
    let long_key = |start: &str| format!("{start}{}", "z".repeat(1_000));
    let text = format!(
        "apiVersion: {}\nkind: Case\nmetadata:\n  name: {}\nspec:\n  title: t\n  description: d\n  engagementType: {}\n  resolverType: Self\n  status: {}\n  reportedIncidentStartDate: {}\n  watchers:\n    - email: {}\n  impactedAwsRegions: [{}]\n  impactedAccounts: [\"{}\", {}]\n  caseMetadata:\n    {}: v\n  tags:\n    {}: v\n    {}:\n  {}: 1\n",
        long("sirops/v"),
        long("long-"),
        long("Investigation"),
        long("Closed"),
        long("2026-11-20T08:00:00Z"),
        long("alice@example.com"),
        long("us-east-1"),
        long("12345"),
        "1".repeat(5_000),
        long_key("severity"),
        long_key("aws:"),
        long_key("team"),
        long_key("title"),
    );
    let started = Instant::now();
    let loaded = manifest::parse_source(Path::new("long.yaml"), text.as_bytes());
    let elapsed = started.elapsed();
    assert!(elapsed < TIME_LIMIT, "took {elapsed:?}");
    for diagnostic in &loaded.diagnostics {
        assert!(
            diagnostic.message.chars().count() <= MESSAGE_CHARS_MAX,
            "{diagnostic}"
        );
        let hint = diagnostic.hint.as_deref().unwrap_or_default();
        assert!(!hint.contains("did you mean"), "{diagnostic}");
        assert!(hint.chars().count() <= HINT_CHARS_MAX, "{diagnostic}");
    }
    insta::assert_snapshot!("long_values", render(&loaded));
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_directory_are_skipped_and_links_inside_read_once() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(cases.join("team")).unwrap();
    std::fs::create_dir(&outside).unwrap();
    let case = |name: &str| {
        format!(
            "apiVersion: sirops/v1\nkind: Case\nmetadata:\n  name: {name}\nspec:\n  title: t\n  description: d\n  engagementType: Investigation\n  resolverType: Self\n  reportedIncidentStartDate: 2026-11-20T08:00:00Z\n"
        )
    };
    std::fs::write(cases.join("inside.yaml"), case("inside")).unwrap();
    std::fs::write(outside.join("secret.yaml"), case("secret")).unwrap();
    symlink("../outside/secret.yaml", cases.join("out.yaml")).unwrap();
    symlink(
        outside.join("secret.yaml"),
        cases.join("team/absolute-out.yml"),
    )
    .unwrap();
    symlink("../inside.yaml", cases.join("team/in.yaml")).unwrap();
    symlink("inside.yaml", cases.join("again.yaml")).unwrap();

    let loaded = manifest::load(std::slice::from_ref(&cases));
    let rendered = render(&loaded).replace(&cases.display().to_string(), "<cases>");
    assert_eq!(
        rendered,
        [
            "<cases>/out.yaml:1:1: warning: <cases>/out.yaml is a symlink to a file outside <cases>; not read",
            "  help: move or copy the manifest into the directory, or name the file itself on the command line",
            "<cases>/team/absolute-out.yml:1:1: warning: <cases>/team/absolute-out.yml is a symlink to a file outside <cases>; not read",
            "  help: move or copy the manifest into the directory, or name the file itself on the command line",
            "-- 1 valid: inside@1",
        ]
        .join("\n")
    );

    // Named directly, a link is the user's choice and is read.
    let loaded = manifest::load(&[cases.join("out.yaml")]);
    assert_eq!(render(&loaded), "-- 1 valid: secret@1");
}

#[test]
fn a_missing_path_is_an_error_naming_it() {
    let loaded = manifest::load(&[PathBuf::from("tests/no-such-directory")]);
    assert!(loaded.has_errors());
    let rendered = render(&loaded);
    assert!(
        rendered.starts_with(
            "tests/no-such-directory:1:1: error: cannot read tests/no-such-directory: "
        ),
        "{rendered}"
    );
}

#[test]
fn a_directory_without_manifests_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a manifest").unwrap();
    let loaded = manifest::load(&[dir.path().to_path_buf()]);
    assert_eq!(loaded.diagnostics.len(), 1);
    assert_eq!(loaded.diagnostics[0].severity, Severity::Warning);
    assert!(!loaded.has_errors());
}

#[test]
fn files_named_twice_are_read_once() {
    let loaded = manifest::load(&[
        PathBuf::from("cases"),
        PathBuf::from("cases/payroll-phishing.yaml"),
    ]);
    assert_eq!(render(&loaded).lines().count(), 1, "{}", render(&loaded));
}

#[test]
fn written_back_case_ids_validate() {
    let path = Path::new("cases/payroll-phishing.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let written = manifest::write_back_case_id(&text, "payroll-phishing", "1234567890").unwrap();
    let added: Vec<&str> = written
        .lines()
        .filter(|line| !text.lines().any(|original| original == *line))
        .collect();
    assert_eq!(added, vec!["  caseId: \"1234567890\""]);
    let loaded = manifest::parse_source(path, written.as_bytes());
    assert!(loaded.diagnostics.is_empty(), "{}", render(&loaded));
    assert_eq!(
        loaded.manifests[0].desired.case_id.as_deref(),
        Some("1234567890")
    );
}

/// A manifest whose `caseMetadata` holds `levels` anchored lists, each of `width` aliases to
/// the one before, the first a string of `scalar_bytes`; and what its aliases add, as the
/// budget counts it (64 bytes per node plus scalar text).
fn alias_chain(levels: usize, width: usize, scalar_bytes: usize) -> (String, usize) {
    let mut text = format!(
        "{VALID_HEAD}  title: t\n  description: d\n  caseMetadata:\n    l0: &l0 \"{}\"\n",
        "x".repeat(scalar_bytes)
    );
    let mut cost = 64 + scalar_bytes;
    let mut added = 0usize;
    for level in 1..levels {
        let aliases = vec![format!("*l{}", level - 1); width].join(", ");
        text.push_str(&format!("    l{level}: &l{level} [{aliases}]\n"));
        added = added.saturating_add(width.saturating_mul(cost));
        cost = width.saturating_mul(cost).saturating_add(64);
    }
    (text, added)
}

/// Every diagnostic is short, whatever the input held.
fn assert_bounded(loaded: &Manifests) {
    for diagnostic in &loaded.diagnostics {
        assert!(
            diagnostic.message.chars().count() <= MESSAGE_CHARS_MAX,
            "{diagnostic}"
        );
        let hint = diagnostic.hint.as_deref().unwrap_or_default();
        assert!(hint.chars().count() <= HINT_CHARS_MAX, "{diagnostic}");
    }
}

/// Where a long value goes: each place a manifest value is read, with the text around it.
const LONG_VALUE_PLACES: [(&str, &str); 14] = [
    ("  name: ", "\nspec:\n  title: t\n"),
    (
        "  name: n\n  caseId: \"1234567890",
        "\"\nspec:\n  title: t\n",
    ),
    ("  name: n\n  previousNames: [", "]\nspec:\n  title: t\n"),
    ("  name: n\nspec:\n  title: ", "\n"),
    ("  name: n\nspec:\n  title: t\n  status: ", "\n"),
    ("  name: n\nspec:\n  title: t\n  engagementType: ", "\n"),
    (
        "  name: n\nspec:\n  title: t\n  actualIncidentStartDate: ",
        "\n",
    ),
    (
        "  name: n\nspec:\n  title: t\n  watchers: [{email: ",
        "}]\n",
    ),
    (
        "  name: n\nspec:\n  title: t\n  threatActorIpAddresses: [{ipAddress: ",
        "}]\n",
    ),
    (
        "  name: n\nspec:\n  title: t\n  impactedAwsRegions: [",
        "]\n",
    ),
    ("  name: n\nspec:\n  title: t\n  impactedAccounts: [", "]\n"),
    ("  name: n\nspec:\n  title: t\n  impactedServices: [", "]\n"),
    ("  name: n\nspec:\n  title: t\n  caseMetadata: {k: ", "}\n"),
    ("  name: n\nspec:\n  title: t\n  tags: {k: ", "}\n"),
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Aliases of aliases of strings, from a few bytes to far past the budget: refused exactly
    /// when what they add passes it, always quickly and with a short report.
    #[test]
    fn alias_chains_are_refused_exactly_past_the_budget(
        levels in 1usize..12,
        width in 1usize..12,
        scalar_bytes in 0usize..100_000,
    ) {
        let (text, added) = alias_chain(levels, width, scalar_bytes);
        let started = Instant::now();
        let loaded = manifest::parse_source(Path::new("aliases.yaml"), text.as_bytes());
        prop_assert!(started.elapsed() < TIME_LIMIT, "took {:?}", started.elapsed());
        assert_bounded(&loaded);
        let refused = loaded
            .diagnostics
            .iter()
            .any(|diagnostic| diagnostic.message.contains("alias bomb"));
        prop_assert_eq!(refused, added > 1024 * 1024, "added {}", added);
        prop_assert!(loaded.diagnostics.len() <= levels, "{}", render(&loaded));
    }

    /// A long value anywhere yields short messages, quickly.
    #[test]
    fn long_values_anywhere_give_short_messages(
        place in 0..LONG_VALUE_PLACES.len(),
        value in "[a-zA-Z0-9 .:@é\u{1F600}\u{15}\u{7f}-]{1,8}",
        repeat in 1usize..20_000,
    ) {
        let (before, after) = LONG_VALUE_PLACES[place];
        let text = format!(
            "apiVersion: sirops/v1\nkind: Case\nmetadata:\n{before}{}{after}",
            value.repeat(repeat)
        );
        let started = Instant::now();
        let loaded = manifest::parse_source(Path::new("long.yaml"), text.as_bytes());
        prop_assert!(started.elapsed() < TIME_LIMIT, "took {:?}", started.elapsed());
        assert_bounded(&loaded);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "(?s).{0,400}") {
        let _ = manifest::parse_source(Path::new("fuzz.yaml"), text.as_bytes());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = manifest::parse_source(Path::new("fuzz.yaml"), &bytes);
    }

    /// Text made of YAML's own punctuation reaches far more parser states than random text.
    #[test]
    fn yaml_shaped_text_never_panics(text in "([-:?,\\[\\]{}&*!|>'\"#%@` \t\n]|[a-z0-9]{1,4}|apiVersion: sirops/v1\n|spec:\n  ){0,80}") {
        let _ = manifest::parse_source(Path::new("fuzz.yaml"), text.as_bytes());
    }
}
