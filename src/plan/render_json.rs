//! The plan as JSON (`docs/reference.md`, "Plan JSON"): what `--format json` prints and `--out` saves, and the
//! reading side for `apply --plan FILE`, which refuses what it cannot apply safely.

use super::{FORMAT_VERSION, Plan};

/// Why a saved plan cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PlanParseError {
    #[error("the plan is not valid plan JSON: {0}; make it again with `sirops plan --out FILE`")]
    Json(#[from] serde_json::Error),
    #[error("the plan has no numeric formatVersion; make it again with `sirops plan --out FILE`")]
    MissingFormatVersion,
    #[error(
        "the plan has formatVersion {found}, but this sirops reads only formatVersion {supported}; make the plan again with this sirops, or apply it with the sirops that made it"
    )]
    UnsupportedFormatVersion { found: u64, supported: u32 },
    #[error(
        "the plan was made with --redact: its sensitive values are placeholders, so applying it would write them to the cases; make it again without --redact"
    )]
    Redacted,
}

/// Pretty JSON with a trailing newline, so the file diffs cleanly and `cat` ends the line.
pub fn render_json(plan: &Plan) -> String {
    let mut json = serde_json::to_string_pretty(plan).expect("a plan always serialises");
    json.push('\n');
    json
}

/// Reads a saved plan. The version is checked before the rest, so a plan from a newer sirops
/// gets a message about its version instead of a confusing complaint about some field.
/// A redacted plan is refused: it is for people, never for apply.
pub fn parse_json(text: &str) -> Result<Plan, PlanParseError> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    let found = value
        .get("formatVersion")
        .and_then(serde_json::Value::as_u64)
        .ok_or(PlanParseError::MissingFormatVersion)?;
    if found != u64::from(FORMAT_VERSION) {
        return Err(PlanParseError::UnsupportedFormatVersion {
            found,
            supported: FORMAT_VERSION,
        });
    }
    let plan: Plan = serde_json::from_value(value)?;
    if plan.redacted {
        return Err(PlanParseError::Redacted);
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::{CaseStatus, Watcher};
    use crate::plan::{CasePlan, fixtures};
    use crate::request::{Request, UpdateCaseInput, UpdateCaseStatusInput};

    /// The example of the plan JSON reference, built as a value.
    fn design_example() -> Plan {
        let mut plan = Plan::from_cases(vec![CasePlan {
            status_path: vec![CaseStatus::Submitted, CaseStatus::DetectionAndAnalysis],
            irreversible: false,
            requests: vec![
                Request::UpdateCase(UpdateCaseInput {
                    case_id: Some("1234567890".into()),
                    watchers_to_add: vec![Watcher {
                        email: "bob@example.com".into(),
                        name: None,
                        job_title: None,
                    }],
                    ..UpdateCaseInput::default()
                }),
                Request::UpdateCaseStatus(UpdateCaseStatusInput {
                    case_id: Some("1234567890".into()),
                    case_status: CaseStatus::DetectionAndAnalysis,
                }),
            ],
            ..CasePlan::new(
                "payroll-phishing".into(),
                Some("1234567890".into()),
                crate::plan::Action::Update,
            )
        }]);
        plan.summary.no_change = 40;
        plan
    }

    #[test]
    fn the_json_has_the_shape_of_design_section_5() {
        let json: serde_json::Value =
            serde_json::from_str(&render_json(&design_example())).unwrap();
        assert_eq!(
            json,
            json!({
                "formatVersion": 1,
                "summary": {"create": 0, "adopt": 0, "update": 1, "close": 0, "noChange": 40,
                            "statusTransitions": 1, "errors": 0, "irreversible": 0, "prune": 0},
                "cases": [{
                    "name": "payroll-phishing",
                    "caseId": "1234567890",
                    "action": "update",
                    "statusPath": ["Submitted", "Detection and Analysis"],
                    "irreversible": false,
                    "requests": [
                        {"operation": "UpdateCase", "input": {"caseId": "1234567890", "watchersToAdd": [{"email": "bob@example.com"}]}},
                        {"operation": "UpdateCaseStatus", "input": {"caseId": "1234567890", "caseStatus": "Detection and Analysis"}}
                    ],
                    "changes": []
                }]
            })
        );
    }

    #[test]
    fn every_action_and_a_create_with_null_case_ids_round_trips() {
        let plan = fixtures::sample_plan();
        let text = render_json(&plan);
        assert!(text.ends_with("}\n"));
        assert_eq!(parse_json(&text).unwrap(), plan);
        insta::assert_snapshot!(text);
    }

    #[test]
    fn a_plan_of_another_format_version_is_refused_with_its_version() {
        let mut json: serde_json::Value =
            serde_json::from_str(&render_json(&fixtures::sample_plan())).unwrap();
        json["formatVersion"] = json!(2);
        let error = parse_json(&json.to_string()).unwrap_err();
        assert!(matches!(
            error,
            PlanParseError::UnsupportedFormatVersion {
                found: 2,
                supported: 1
            }
        ));
        assert!(error.to_string().contains("formatVersion 2"));
        assert!(matches!(
            parse_json(r#"{"cases": []}"#),
            Err(PlanParseError::MissingFormatVersion)
        ));
        assert!(matches!(
            parse_json("not json"),
            Err(PlanParseError::Json(_))
        ));
    }

    #[test]
    fn a_redacted_plan_is_refused() {
        let redacted = crate::plan::redact(&fixtures::sample_plan());
        let text = render_json(&redacted);
        assert!(text.contains("\"redacted\": true"));
        let error = parse_json(&text).unwrap_err();
        assert!(matches!(error, PlanParseError::Redacted));
        assert!(error.to_string().contains("without --redact"));
    }
}
