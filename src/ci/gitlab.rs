//! GitLab: the Code Quality report that puts manifest problems on a merge request's diff, and
//! the `{create, update, delete}` counts its merge-request widget reads from a Terraform-style
//! plan report (`artifacts:reports:terraform`).

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::manifest::{Diagnostic, Severity};
use crate::plan::Plan;

/// One Code Quality issue, in the shape GitLab documents (a subset of Code Climate's, with
/// `type` and `categories` kept so Code Climate tools read it too).
#[derive(Debug, Serialize)]
struct Issue<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    check_name: &'static str,
    description: String,
    categories: [&'static str; 1],
    severity: &'static str,
    fingerprint: String,
    location: Location<'a>,
}

#[derive(Debug, Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Debug, Serialize)]
struct Lines {
    begin: usize,
}

/// The Code Quality report of these diagnostics, each on its repository path: a JSON array,
/// empty when every manifest is valid. An error stops every plan and apply, so it is
/// `critical`; a warning is `minor`.
pub fn code_quality_report(diagnostics: &[(Diagnostic, String)]) -> String {
    let issues: Vec<Issue<'_>> = diagnostics
        .iter()
        .map(|(diagnostic, path)| {
            let mut description = format!("{} (column {})", diagnostic.message, diagnostic.column);
            if let Some(hint) = &diagnostic.hint {
                description.push_str(&format!("; help: {hint}"));
            }
            Issue {
                kind: "issue",
                check_name: "sirops-validate",
                fingerprint: fingerprint(diagnostic, path),
                description,
                categories: ["Bug Risk"],
                severity: match diagnostic.severity {
                    Severity::Error => "critical",
                    Severity::Warning => "minor",
                },
                location: Location {
                    path,
                    lines: Lines {
                        begin: diagnostic.line,
                    },
                },
            }
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".into());
    text.push('\n');
    text
}

/// GitLab tells a problem that persists across pipelines from a new one by its fingerprint:
/// the same problem at the same place keeps it, anything else changes it.
fn fingerprint(diagnostic: &Diagnostic, path: &str) -> String {
    let mut digest = Sha256::new();
    for part in [
        path,
        &diagnostic.line.to_string(),
        &diagnostic.column.to_string(),
        &diagnostic.message,
    ] {
        digest.update(part.as_bytes());
        digest.update([0]);
    }
    hex::encode(digest.finalize())
}

/// The counts GitLab's merge-request widget shows for a plan. Creates are `create`; adoptions
/// and updates change a case that exists, so they are `update`; a close (a manifest's, or a
/// pruned orphan's) ends a case for good, so it is `delete`. Cases without changes and cases
/// that could not be planned are not counted.
pub fn merge_request_report(plan: &Plan) -> String {
    let summary = &plan.summary;
    let report = serde_json::json!({
        "create": summary.create,
        "update": summary.adopt + summary.update,
        "delete": summary.close,
    });
    format!("{report}\n")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::Value;

    use super::*;
    use crate::plan::fixtures;

    fn diagnostic(line: usize, severity: Severity) -> Diagnostic {
        Diagnostic {
            file: PathBuf::from("cases/a.yaml"),
            line,
            column: 3,
            severity,
            message: "watchers[0].email is not an email address".into(),
            hint: Some("write it as name@example.com".into()),
        }
    }

    #[test]
    fn each_diagnostic_is_an_issue_with_its_place_and_a_stable_fingerprint() {
        let diagnostics = [
            (diagnostic(4, Severity::Error), "cases/a.yaml".to_string()),
            (diagnostic(9, Severity::Warning), "cases/a.yaml".to_string()),
        ];
        let report: Value = serde_json::from_str(&code_quality_report(&diagnostics)).unwrap();
        let issues = report.as_array().unwrap();
        assert_eq!(issues.len(), 2);
        assert_eq!(issues[0]["location"]["path"], "cases/a.yaml");
        assert_eq!(issues[0]["location"]["lines"]["begin"], 4);
        assert_eq!(issues[0]["severity"], "critical");
        assert_eq!(issues[1]["severity"], "minor");
        assert_eq!(issues[0]["check_name"], "sirops-validate");
        assert!(
            issues[0]["description"]
                .as_str()
                .unwrap()
                .contains("help: write it")
        );
        assert_ne!(issues[0]["fingerprint"], issues[1]["fingerprint"]);
        let again: Value = serde_json::from_str(&code_quality_report(&diagnostics[..1])).unwrap();
        assert_eq!(again[0]["fingerprint"], issues[0]["fingerprint"]);
    }

    #[test]
    fn valid_manifests_make_an_empty_report() {
        assert_eq!(code_quality_report(&[]).trim(), "[]");
    }

    #[test]
    fn the_widget_counts_creates_updates_and_closes() {
        let plan = fixtures::sample_plan();
        let report: Value = serde_json::from_str(&merge_request_report(&plan)).unwrap();
        let summary = &plan.summary;
        assert_eq!(report["create"], summary.create);
        assert_eq!(report["update"], summary.adopt + summary.update);
        assert_eq!(report["delete"], summary.close);
        assert_eq!(report.as_object().unwrap().len(), 3);
        assert!(
            summary.create + summary.update + summary.close > 0,
            "the fixture has changes"
        );
    }
}
