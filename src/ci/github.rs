//! GitHub Actions: workflow commands that annotate a pull request's diff, and the step outputs
//! a later step reads. The runner parses every line of a step's log that starts with `::`, so
//! everything sirops puts inside a command is escaped the way the runner unescapes it.

use crate::apply::CaseOutcome;
use crate::manifest::{Diagnostic, Severity};
use crate::plan::Plan;

/// A command's message: `%`, CR and LF would otherwise end or corrupt the command.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A command's property value: as data, and also `:` and `,`, which separate properties.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// One diagnostic as an `::error` or `::warning` command on `path` (relative to the repository
/// root), with the hint as the message's second line.
pub fn annotation(diagnostic: &Diagnostic, path: &str) -> String {
    let (command, title) = match diagnostic.severity {
        Severity::Error => ("error", "sirops: invalid manifest"),
        Severity::Warning => ("warning", "sirops: manifest warning"),
    };
    let mut message = diagnostic.message.clone();
    if let Some(hint) = &diagnostic.hint {
        message.push_str("\nhelp: ");
        message.push_str(hint);
    }
    format!(
        "::{command} file={},line={},col={},title={}::{}\n",
        escape_property(path),
        diagnostic.line,
        diagnostic.column,
        escape_property(title),
        escape_data(&message)
    )
}

/// The step outputs of a plan, as documented in `docs/reference.md` ("CI integration").
/// `plan_file` is where `--out` saved the plan, if it did.
pub fn plan_outputs(plan: &Plan, plan_file: Option<&str>) -> Vec<(&'static str, String)> {
    let summary = &plan.summary;
    vec![
        ("has-changes", plan.has_changes().to_string()),
        ("has-drift", plan.has_drift().to_string()),
        ("has-errors", plan.has_errors().to_string()),
        ("create-count", summary.create.to_string()),
        ("adopt-count", summary.adopt.to_string()),
        ("update-count", summary.update.to_string()),
        ("close-count", summary.close.to_string()),
        ("no-change-count", summary.no_change.to_string()),
        ("error-count", summary.errors.to_string()),
        ("prune-count", summary.prune.to_string()),
        ("plan-file", plan_file.unwrap_or_default().to_string()),
    ]
}

/// The step outputs apply adds to those of the plan it applied. `report_file` is where
/// `--report` wrote the apply report, if it did.
pub fn apply_outputs(
    outcomes: &[CaseOutcome],
    report_file: Option<&str>,
) -> Vec<(&'static str, String)> {
    let failed = outcomes
        .iter()
        .filter(|outcome| outcome.failure().is_some())
        .count();
    let created = outcomes.iter().filter(|outcome| outcome.created).count();
    vec![
        ("applied-count", (outcomes.len() - failed).to_string()),
        ("failed-count", failed.to_string()),
        ("created-count", created.to_string()),
        ("report-file", report_file.unwrap_or_default().to_string()),
    ]
}

/// The step summary of an apply: what it did (the text summary, verbatim in a fence no line of
/// it can close), then the plan it applied, folded.
pub fn apply_summary(outcome_text: &str, plan_markdown: &str) -> String {
    let longest_run = outcome_text
        .split(|character| character != '`')
        .map(str::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest_run.max(2) + 1);
    let outcome_text = outcome_text.trim_matches('\n');
    let outcome_text = if outcome_text.is_empty() {
        "Nothing to apply."
    } else {
        outcome_text
    };
    format!(
        "## sirops apply\n\n{fence}text\n{outcome_text}\n{fence}\n\n<details><summary>The plan applied</summary>\n\n{plan_markdown}\n</details>\n"
    )
}

/// Outputs in the `$GITHUB_OUTPUT` file format: `name=value` lines, and the delimited form for
/// a value with a line break (a path may hold one), with a delimiter the value does not contain.
pub fn output_lines(outputs: &[(&str, String)]) -> String {
    let mut text = String::new();
    for (name, value) in outputs {
        if value.contains(['\n', '\r']) {
            let mut delimiter = String::from("SIROPS_EOF");
            while value.contains(&delimiter) {
                delimiter.push('_');
            }
            text.push_str(&format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"));
        } else {
            text.push_str(&format!("{name}={value}\n"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::plan::fixtures;

    fn diagnostic(message: &str, hint: Option<&str>) -> Diagnostic {
        Diagnostic {
            file: PathBuf::from("cases/a.yaml"),
            line: 7,
            column: 12,
            severity: Severity::Error,
            message: message.into(),
            hint: hint.map(str::to_string),
        }
    }

    #[test]
    fn annotations_escape_what_would_end_the_command() {
        let line = annotation(
            &diagnostic("100% wrong: a, b\nnext", Some("use x")),
            "cases/odd,name:1.yaml",
        );
        assert_eq!(
            line,
            "::error file=cases/odd%2Cname%3A1.yaml,line=7,col=12,title=sirops%3A invalid manifest::100%25 wrong: a, b%0Anext%0Ahelp: use x\n"
        );
        assert_eq!(line.matches('\n').count(), 1, "one line per annotation");
    }

    #[test]
    fn warnings_are_warning_commands() {
        let mut warning = diagnostic("unknown key", None);
        warning.severity = Severity::Warning;
        assert!(annotation(&warning, "cases/a.yaml").starts_with("::warning file=cases/a.yaml,"));
    }

    #[test]
    fn plan_outputs_count_each_action() {
        let plan = fixtures::sample_plan();
        let outputs = plan_outputs(&plan, Some("plan.json"));
        let value = |name: &str| {
            outputs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.clone())
                .unwrap()
        };
        assert_eq!(value("has-changes"), plan.has_changes().to_string());
        assert_eq!(value("create-count"), plan.summary.create.to_string());
        assert_eq!(value("update-count"), plan.summary.update.to_string());
        assert_eq!(value("plan-file"), "plan.json");
        assert_eq!(plan_outputs(&plan, None).last().unwrap().1, "");
    }

    #[test]
    fn the_apply_summary_fences_text_that_holds_backticks() {
        let summary = apply_summary(
            "\nApply complete: 1 case changed, 0 failed.\n  warning: a: ```odd```\n",
            "**plan**",
        );
        assert!(
            summary.starts_with("## sirops apply\n\n````text\nApply complete"),
            "{summary}"
        );
        assert!(summary.contains("```odd```\n````\n"), "{summary}");
        assert!(
            summary
                .contains("<details><summary>The plan applied</summary>\n\n**plan**\n</details>")
        );
        assert!(apply_summary("", "").contains("```text\nNothing to apply.\n```"));
    }

    #[test]
    fn multi_line_values_use_a_delimiter_they_do_not_contain() {
        let text = output_lines(&[("a", "1".into()), ("b", "x\nSIROPS_EOF\ny".into())]);
        assert_eq!(text, "a=1\nb<<SIROPS_EOF_\nx\nSIROPS_EOF\ny\nSIROPS_EOF_\n");
    }
}
