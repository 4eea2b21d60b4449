//! Arbitrary bytes through manifest parsing and validation, with the promises a user relies
//! on: no panic, every diagnostic points inside the file and stays short whatever the input
//! held, names bind one manifest each, and a manifest that validates survives the two ways
//! sirops rewrites manifests (import's serialisation and write-back).
#![no_main]

use std::collections::HashSet;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sirops::manifest::{
    CaseManifest, MANIFEST_FILE_MAX_BYTES, is_valid_manifest_name, parse_source, write_back_case_id,
};

/// Longer than any message about a manifest value once values are shortened.
const MESSAGE_CHARS_MAX: usize = 300;
/// Longer than any hint, the longest being the list of every AWS region.
const HINT_CHARS_MAX: usize = 1_000;

fuzz_target!(|data: &[u8]| {
    let file = Path::new("cases/fuzz.yaml");
    let parsed = parse_source(file, data);

    // YAML ends a line at "\r\n", "\n" or a lone "\r", and so do the diagnostics.
    let text = String::from_utf8_lossy(data).replace("\r\n", "\n");
    let lines = text.matches(['\n', '\r']).count() + 1;
    for diagnostic in &parsed.diagnostics {
        assert_eq!(diagnostic.file, file);
        assert!(
            (1..=lines).contains(&diagnostic.line),
            "line {} outside a file of {lines} lines: {diagnostic:?}",
            diagnostic.line
        );
        assert!(diagnostic.column >= 1, "{diagnostic:?}");
        assert!(!diagnostic.message.is_empty());
        assert!(
            diagnostic.message.chars().count() <= MESSAGE_CHARS_MAX,
            "{diagnostic:?}"
        );
        let hint = diagnostic.hint.as_deref().unwrap_or_default();
        assert!(hint.chars().count() <= HINT_CHARS_MAX, "{diagnostic:?}");
    }
    if data.len() > MANIFEST_FILE_MAX_BYTES {
        assert_eq!(parsed.diagnostics.len(), 1, "{:?}", parsed.diagnostics);
        assert!(parsed.manifests.is_empty());
        return;
    }

    // A name, current or previous, leads to one manifest, and every one could name a file.
    let mut bound = HashSet::new();
    for loaded in &parsed.manifests {
        let desired = &loaded.desired;
        for name in std::iter::once(&desired.name).chain(&desired.previous_names) {
            assert!(is_valid_manifest_name(name), "{name:?}");
            assert!(bound.insert(name.clone()), "{name:?} bound twice");
        }
    }
    if parsed.has_errors() {
        return;
    }

    for loaded in &parsed.manifests {
        let yaml = serde_yaml::to_string(&CaseManifest::from_desired(&loaded.desired))
            .expect("a valid manifest serialises");
        let document: serde_yaml::Value = serde_yaml::from_str(&yaml).expect("YAML reads back");
        assert_eq!(
            document["metadata"].get("previousNames").is_some(),
            !loaded.desired.previous_names.is_empty(),
            "{yaml}"
        );
        let again = parse_source(file, yaml.as_bytes());
        assert!(!again.has_errors(), "{yaml}\n{:?}", again.diagnostics);
        assert_eq!(again.manifests.len(), 1);
        assert_eq!(again.manifests[0].desired, loaded.desired, "{yaml}");
    }

    if let ([only], Ok(text)) = (parsed.manifests.as_slice(), std::str::from_utf8(data)) {
        if let Ok(written) = write_back_case_id(text, &only.desired.name, "1234567890") {
            let again = parse_source(file, written.as_bytes());
            assert!(!again.has_errors(), "{written}\n{:?}", again.diagnostics);
            let mut expected = only.desired.clone();
            expected.case_id = Some("1234567890".to_string());
            assert_eq!(again.manifests.len(), 1, "{written}");
            assert_eq!(again.manifests[0].desired, expected, "{written}");
        }
    }
});
