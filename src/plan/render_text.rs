//! The plan for a terminal, in Terraform's shape: one block per changed case, `+`/`-`/`~` lines,
//! the description as a unified diff, and a one-line tally at the end.

use std::fmt::Write as _;

use super::display::{self, Detail, Sign};
use super::{Action, CasePlan, Plan};

/// How to render; the caller decides (colour: TTY, not `NO_COLOR`, not `--no-color`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderOptions {
    pub color: bool,
}

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
pub(crate) const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";
const BOLD: &str = "\x1b[1m";
pub(crate) const BOLD_RED: &str = "\x1b[1;31m";
pub(crate) const RESET: &str = "\x1b[0m";

/// Styles text for a terminal, or leaves it plain when colour is off.
pub(crate) struct Painter {
    pub(crate) color: bool,
}

impl Painter {
    pub(crate) fn paint(&self, style: &str, text: &str) -> String {
        if self.color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    fn sign(&self, sign: Sign) -> String {
        let style = match sign {
            Sign::Add => GREEN,
            Sign::Remove => RED,
            Sign::Modify => YELLOW,
        };
        self.paint(style, &sign.symbol().to_string())
    }
}

/// The whole plan as text, ending with a newline. Unchanged cases are only counted.
pub fn render_text(plan: &Plan, options: &RenderOptions) -> String {
    let painter = Painter {
        color: options.color,
    };
    let mut out = String::new();
    for case in plan
        .cases
        .iter()
        .filter(|case| case.action != Action::NoChange)
    {
        render_case(&mut out, case, &painter);
        out.push('\n');
    }
    let mut drift = plan.unrepairable_drift().peekable();
    if drift.peek().is_some() {
        let _ = writeln!(
            out,
            "{}\n",
            painter.paint(BOLD, "Drift that apply will not change:")
        );
        for case in drift {
            render_case(&mut out, case, &painter);
            out.push('\n');
        }
    }
    out.push_str(&tally(plan, &painter));
    out
}

fn render_case(out: &mut String, case: &CasePlan, painter: &Painter) {
    let headline = format!(
        "# {} {}",
        display::printable(&display::case_label(case)),
        display::headline(case)
    );
    let _ = writeln!(out, "  {}", painter.paint(BOLD, &headline));
    if let Some(warning) = display::irreversible_warning(case) {
        let _ = writeln!(
            out,
            "    {}",
            painter.paint(BOLD_RED, &format!("!! {warning}"))
        );
    }
    if let Some(error) = &case.error {
        for (index, line) in display::printable(error).lines().enumerate() {
            let prefix = if index == 0 { "error: " } else { "       " };
            let _ = writeln!(
                out,
                "    {}",
                painter.paint(RED, &format!("{prefix}{line}"))
            );
        }
    }
    for detail in display::details(case) {
        match detail {
            Detail::Field {
                sign,
                field,
                value,
                irreversible,
                cause,
                edits,
            } => {
                let _ = write!(out, "    {} {field}: {value}", painter.sign(sign));
                if irreversible {
                    let _ = write!(out, "  {}", painter.paint(BOLD_RED, "# IRREVERSIBLE"));
                }
                if let Some(cause) = cause {
                    let label = format!("# {}", display::cause_label(cause));
                    let style = if cause.is_drift() { BOLD_RED } else { YELLOW };
                    let _ = write!(out, "  {}", painter.paint(style, &label));
                }
                for edit in edits {
                    let _ = write!(out, "\n        # edited {edit}");
                }
                out.push('\n');
            }
            Detail::Description { sign, unified } => {
                let _ = writeln!(out, "    {} description:", painter.sign(sign));
                for line in unified.lines() {
                    let style = match line.chars().next() {
                        Some('+') => GREEN,
                        Some('-') => RED,
                        Some('@') => CYAN,
                        _ => "",
                    };
                    let line = if style.is_empty() {
                        line.to_string()
                    } else {
                        painter.paint(style, line)
                    };
                    let _ = writeln!(out, "        {line}");
                }
            }
            Detail::Status { path } => {
                let _ = writeln!(out, "    {} status: {path}", painter.sign(Sign::Modify));
            }
        }
    }
    for note in &case.notes {
        let _ = writeln!(out, "    note: {}", display::printable(note));
    }
}

fn tally(plan: &Plan, painter: &Painter) -> String {
    let summary = &plan.summary;
    let mut out = String::new();
    if !plan.has_changes() && !plan.has_errors() {
        out.push_str("No changes. Live cases match the manifests.\n");
    } else {
        let _ = writeln!(
            out,
            "{} {}.",
            painter.paint(BOLD, "Plan:"),
            summary_counts(summary)
        );
    }
    if summary.irreversible > 0 {
        let line = format!(
            "Warning: {} cannot be undone (listed first).",
            plural(summary.irreversible, "irreversible change")
        );
        let _ = writeln!(out, "{}", painter.paint(BOLD_RED, &line));
    }
    if summary.errors > 0 {
        let line = format!(
            "Error: {} could not be planned; apply skips {} and applies the rest.",
            plural(summary.errors, "case"),
            if summary.errors == 1 { "it" } else { "them" },
        );
        let _ = writeln!(out, "{}", painter.paint(RED, &line));
    }
    if plan.redacted {
        out.push_str("Redacted: sensitive values are placeholders; this plan cannot be applied.\n");
    }
    out
}

/// The counts of the summary line, the same words in every format: `1 to create, 2 to update,
/// 0 to close, 40 unchanged, 3 status transitions`, with adoptions, irreversible changes and
/// errors when there are any.
pub(crate) fn summary_counts(summary: &super::Summary) -> String {
    let mut line = format!("{} to create", summary.create);
    if summary.adopt > 0 {
        let _ = write!(line, ", {} to adopt", summary.adopt);
    }
    let _ = write!(
        line,
        ", {} to update, {} to close, {} unchanged, {}",
        summary.update,
        summary.close,
        summary.no_change,
        plural(summary.status_transitions, "status transition"),
    );
    if summary.irreversible > 0 {
        let _ = write!(line, ", {} irreversible", summary.irreversible);
    }
    if summary.errors > 0 {
        let _ = write!(line, ", {}", plural(summary.errors, "error"));
    }
    line
}

pub(crate) fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::fixtures;

    #[test]
    fn a_plan_of_every_kind_renders_as_terraform_does() {
        let text = render_text(&fixtures::sample_plan(), &RenderOptions { color: false });
        insta::assert_snapshot!(text);
    }

    #[test]
    fn without_colour_there_is_no_escape_sequence() {
        let text = render_text(&fixtures::sample_plan(), &RenderOptions { color: false });
        assert!(!text.contains('\x1b'));
    }

    #[test]
    fn with_colour_signs_are_green_red_and_yellow() {
        let text = render_text(&fixtures::sample_plan(), &RenderOptions { color: true });
        assert!(text.contains(&format!("{GREEN}+{RESET} watchers:")));
        assert!(text.contains(&format!("{RED}-{RESET} impactedServices:")));
        assert!(text.contains(&format!("{YELLOW}~{RESET} title:")));
        insta::assert_snapshot!(text);
    }

    #[test]
    fn unchanged_cases_are_only_counted() {
        let text = render_text(&fixtures::sample_plan(), &RenderOptions::default());
        assert!(!text.contains("quiet-case"));
        assert!(text.contains("2 unchanged"));
    }

    #[test]
    fn drift_on_a_closed_case_is_shown_in_its_own_section() {
        let text = render_text(&fixtures::sample_plan(), &RenderOptions::default());
        let section = text
            .find("Drift that apply will not change:")
            .expect("a drift section");
        let case = text
            .find("# closed-incident (8888888888) differs, but apply will not change it")
            .expect("the closed case is shown");
        assert!(section < case);
        assert!(text[case..].contains("~ title: \"Old title\" -> \"Corrected title\""));
        assert!(text[case..].contains("note: case is closed; changes not applied"));
    }

    #[test]
    fn a_plan_without_changes_says_so() {
        let plan = Plan::from_cases(vec![fixtures::unchanged_case("quiet-case")]);
        assert_eq!(
            render_text(&plan, &RenderOptions::default()),
            "No changes. Live cases match the manifests.\n"
        );
    }

    #[test]
    fn a_value_cannot_write_escape_sequences_to_the_terminal() {
        let mut case = fixtures::update_case();
        case.changes[1].after = Some(serde_json::json!("evil \u{1b}]0;pwned\u{7}\n"));
        case.notes.push("note with \u{1b}[2J".into());
        let text = render_text(&Plan::from_cases(vec![case]), &RenderOptions::default());
        assert!(!text.contains('\x1b'));
        assert!(!text.contains('\u{7}'));
    }
}
