//! The plan as a GitHub pull-request comment: a one-line tally first, callouts for what
//! cannot be undone, then one collapsible section per changed case. A comment has a size limit,
//! so a large plan drops whole case sections from the end and says so; the Markdown stays valid
//! because nothing is ever cut inside a fence or a `<details>` block.

use std::fmt::Write as _;

use super::display::{self, Detail};
use super::render_text::summary_counts;
use super::{Action, CasePlan, Plan};

/// GitHub refuses a comment body longer than this many characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// Room kept under the limit for whatever a caller wraps around the comment (a marker to find
/// and update the comment, a footer), and for any disagreement on how characters are counted.
const MARGIN: usize = 2_048;

/// A callout lists at most this many cases; the rest are counted, so a prune of thousands of
/// orphans still leaves room for the case sections.
const CALLOUT_CASES_MAX: usize = 50;

/// The plan as GitHub-flavoured Markdown, at most `GITHUB_COMMENT_LIMIT` characters.
pub fn render_markdown(plan: &Plan) -> String {
    render_markdown_within(plan, GITHUB_COMMENT_LIMIT - MARGIN)
}

/// Characters as GitHub may count them: UTF-16 code units, never fewer than Unicode scalar
/// values, so a comment that fits by this count fits by either.
fn comment_length(text: &str) -> usize {
    text.encode_utf16().count()
}

fn render_markdown_within(plan: &Plan, budget: usize) -> String {
    let mut head = String::new();
    head.push_str(&tally(plan));
    if plan.redacted {
        head.push_str(
            "\n_Sensitive values are redacted (`--redact`); this plan cannot be applied._\n",
        );
    }
    head.push_str(&callouts(plan));

    let drift: Vec<&CasePlan> = plan.unrepairable_drift().collect();
    let changed: Vec<&CasePlan> = plan
        .cases
        .iter()
        .filter(|case| case.action != Action::NoChange)
        .chain(drift.iter().copied())
        .collect();
    let first_drift = changed.len() - drift.len();
    let mut out = head;
    // The longest note we might add, so that adding it can never break the budget.
    let note_reserve = comment_length(&omitted_note(changed.len()));
    let mut shown = 0;
    for (index, case) in changed.iter().enumerate() {
        let mut section = case_section(case);
        if index == first_drift {
            section.insert_str(0, "**Drift that apply will not change:**\n\n");
        }
        if comment_length(&out) + comment_length(&section) + note_reserve > budget {
            break;
        }
        out.push('\n');
        out.push_str(&section);
        shown += 1;
    }
    if shown < changed.len() {
        out.push('\n');
        out.push_str(&omitted_note(changed.len() - shown));
    }
    out
}

fn omitted_note(omitted: usize) -> String {
    format!(
        "> [!NOTE]\n> {} not shown: the plan is too large for one comment; run `sirops plan` for the full plan.\n",
        match omitted {
            1 => "1 more case".to_string(),
            n => format!("{n} more cases"),
        }
    )
}

fn tally(plan: &Plan) -> String {
    if !plan.has_changes() && !plan.has_errors() {
        return "**sirops plan:** no changes. Live cases match the manifests.\n".to_string();
    }
    format!("**sirops plan:** {}\n", summary_counts(&plan.summary))
}

/// The things a reviewer must not miss, above the fold: what cannot be undone (closes included:
/// Closed is final), existing cases that become sirops's, and cases that could not be planned.
fn callouts(plan: &Plan) -> String {
    let mut out = String::new();
    let reverted: Vec<String> = plan
        .cases
        .iter()
        .filter(|case| case.has_drift())
        .map(|case| {
            let fields: Vec<String> = case
                .changes
                .iter()
                .filter_map(|change| {
                    let cause = change.cause.filter(|cause| cause.is_drift())?;
                    Some(format!(
                        "{} ({})",
                        change.field,
                        display::cause_label(cause)
                    ))
                })
                .collect();
            format!(
                "{}: {}",
                code_span(&display::case_label(case)),
                escape_text(&fields.join(", "))
            )
        })
        .collect();
    callout(
        &mut out,
        "CAUTION",
        "This PR will also revert edits made outside git: these fields were changed on the live case since the manifest was last applied.",
        &reverted,
    );
    let irreversible: Vec<String> = plan
        .cases
        .iter()
        .filter_map(|case| {
            let warning = display::irreversible_warning(case)?;
            Some(format!(
                "{}: {}",
                code_span(&display::case_label(case)),
                escape_text(&warning)
            ))
        })
        .collect();
    callout(
        &mut out,
        "CAUTION",
        "Irreversible: these changes cannot be undone (closed cases cannot be reopened).",
        &irreversible,
    );

    let adoptions: Vec<String> = plan
        .cases
        .iter()
        .filter(|case| case.action == Action::Adopt)
        .map(|case| {
            let status = case
                .adoption
                .as_ref()
                .map(|adoption| format!(", live status {}", adoption.live_status))
                .unwrap_or_default();
            format!(
                "{}{}",
                code_span(&display::case_label(case)),
                escape_text(&status)
            )
        })
        .collect();
    callout(
        &mut out,
        "WARNING",
        "Adoptions: these existing cases become this repository's (apply tags them sirops:name and sirops:scope).",
        &adoptions,
    );

    let errors: Vec<String> = plan
        .cases
        .iter()
        .filter(|case| case.action == Action::Error)
        .map(|case| code_span(&display::case_label(case)))
        .collect();
    callout(
        &mut out,
        "IMPORTANT",
        "Errors: these cases could not be planned; apply skips them and applies the rest.",
        &errors,
    );
    out
}

fn callout(out: &mut String, kind: &str, title: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let _ = write!(out, "\n> [!{kind}]\n> **{title}**\n");
    for item in items.iter().take(CALLOUT_CASES_MAX) {
        let _ = writeln!(out, "> - {item}");
    }
    if items.len() > CALLOUT_CASES_MAX {
        let _ = writeln!(out, "> - and {} more", items.len() - CALLOUT_CASES_MAX);
    }
}

/// One collapsible section. Values go inside fenced blocks, where Markdown, HTML and @mentions
/// are inert; the fence is longer than any backtick run inside so no value can close it.
fn case_section(case: &CasePlan) -> String {
    let mut out = String::new();
    let irreversible = if case.irreversible {
        " <b>IRREVERSIBLE</b>"
    } else {
        ""
    };
    let _ = write!(
        out,
        "<details>\n<summary><code>{}</code> {}{irreversible}</summary>\n\n",
        escape_html(&display::case_label(case)),
        escape_html(&display::headline(case)),
    );

    if let Some(error) = &case.error {
        out.push_str("**Error:**\n\n");
        out.push_str(&fenced("text", &display::printable(error)));
        out.push('\n');
    }

    let mut changes = Vec::new();
    let mut descriptions = Vec::new();
    if let Some(warning) = display::irreversible_warning(case) {
        changes.push(format!("! {warning}"));
    }
    // Walks the same details as the text renderer, to write them as a diff block instead.
    for detail in display::details(case) {
        match detail {
            Detail::Field {
                sign,
                field,
                value,
                cause,
                edits,
                ..
            } => {
                let cause = cause
                    .map(|cause| format!("  # {}", display::cause_label(cause)))
                    .unwrap_or_default();
                changes.push(format!("{} {field}: {value}{cause}", sign.symbol()));
                changes.extend(edits.iter().map(|edit| format!("#   edited {edit}")));
            }
            Detail::Status { path } => changes.push(format!("~ status: {path}")),
            Detail::Description { unified, .. } => descriptions.push(unified),
        }
    }
    for note in &case.notes {
        changes.push(format!(
            "# note: {}",
            display::printable(note).replace('\n', " ")
        ));
    }
    if !changes.is_empty() {
        out.push_str(&fenced("diff", &changes.join("\n")));
        out.push('\n');
    }
    for unified in descriptions {
        out.push_str("**description:**\n\n");
        out.push_str(&fenced("diff", unified.trim_end_matches('\n')));
        out.push('\n');
    }
    out.push_str("</details>\n");
    out
}

/// A fenced block whose fence no line of `body` can close.
fn fenced(info: &str, body: &str) -> String {
    let fence = "`".repeat(longest_backtick_run(body).max(2) + 1);
    format!("{fence}{info}\n{body}\n{fence}\n")
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|character| character != '`')
        .map(str::len)
        .max()
        .unwrap_or(0)
}

/// Inline code on one line, delimited by more backticks than it contains (CommonMark's rule).
fn code_span(text: &str) -> String {
    let text: String = display::printable(text)
        .chars()
        .map(|character| if character == '\n' { ' ' } else { character })
        .collect();
    let ticks = "`".repeat(longest_backtick_run(&text) + 1);
    let padding = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{padding}{text}{padding}{ticks}")
}

/// Plain text in the middle of a Markdown line (never at its start, where `-` or `1.` would
/// matter): the characters that can open emphasis, links, HTML, entities, strikethrough, table
/// cells, mentions or issue links are backslash-escaped, so no value becomes markup.
fn escape_text(text: &str) -> String {
    const MARKUP: &str = "\\`*_[]()<>&!|~@#";
    let mut out = String::with_capacity(text.len());
    for character in display::printable(text).chars() {
        match character {
            '\n' => out.push(' '),
            c if MARKUP.contains(c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text inside raw HTML (`<summary>`), where Markdown escapes do not apply.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in display::printable(text).chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{fixtures, redact};

    /// Fences open and close in pairs and every `<details>` is closed, at the top level.
    fn assert_balanced(markdown: &str) {
        let mut open_fence: Option<usize> = None;
        let mut details = 0i64;
        for line in markdown.lines() {
            // A fence may be indented by up to three spaces.
            let indent = line.chars().take_while(|c| *c == ' ').count();
            let line = if indent <= 3 { &line[indent..] } else { line };
            let ticks = line.chars().take_while(|c| *c == '`').count();
            match open_fence {
                Some(length) => {
                    if ticks >= length && line[ticks..].trim().is_empty() {
                        open_fence = None;
                    }
                }
                None if ticks >= 3 => open_fence = Some(ticks),
                None => {
                    details += line.matches("<details>").count() as i64;
                    details -= line.matches("</details>").count() as i64;
                    assert!(details >= 0, "</details> before <details>");
                }
            }
        }
        assert_eq!(open_fence, None, "a fence is left open");
        assert_eq!(details, 0, "a <details> is left open");
    }

    #[test]
    fn a_small_plan() {
        let plan = Plan::from_cases(vec![
            fixtures::update_case(),
            fixtures::unchanged_case("quiet-case"),
            fixtures::create_case(),
        ]);
        let markdown = render_markdown(&plan);
        assert!(markdown.starts_with(
            "**sirops plan:** 1 to create, 1 to update, 0 to close, 1 unchanged, 3 status transitions\n"
        ));
        assert!(!markdown.contains("[!WARNING]"));
        assert_balanced(&markdown);
        insta::assert_snapshot!(markdown);
    }

    #[test]
    fn a_plan_with_closes_irreversible_changes_and_errors_calls_them_out_first() {
        let markdown = render_markdown(&fixtures::sample_plan());
        let first_section = markdown.find("<details>").unwrap();
        for callout in ["[!CAUTION]", "[!WARNING]", "[!IMPORTANT]"] {
            assert!(markdown.find(callout).unwrap() < first_section, "{callout}");
        }
        assert!(markdown.contains(
            "> - `old-drill (4444444444)`: IRREVERSIBLE: closes the case, whose manifest is gone"
        ));
        assert!(markdown.contains("> - `lost-laptop (3333333333)`: IRREVERSIBLE: closes the case"));
        assert!(markdown.contains("> - `ransomware-finance (5555555555)`: IRREVERSIBLE"));
        assert!(
            markdown
                .contains("> - `vendor-breach (6666666666)`, live status Detection and Analysis")
        );
        assert!(markdown.contains("**Drift that apply will not change:**"));
        assert!(markdown.contains("<code>closed-incident (8888888888)</code>"));
        assert_balanced(&markdown);
        insta::assert_snapshot!(markdown);
    }

    #[test]
    fn a_redacted_plan() {
        let markdown = render_markdown(&redact(&fixtures::sample_plan()));
        assert!(markdown.contains("_Sensitive values are redacted"));
        assert!(!markdown.contains("@example.com"));
        assert_balanced(&markdown);
        insta::assert_snapshot!(markdown);
    }

    #[test]
    fn no_changes_is_one_line() {
        let plan = Plan::from_cases(vec![fixtures::unchanged_case("quiet-case")]);
        assert_eq!(
            render_markdown(&plan),
            "**sirops plan:** no changes. Live cases match the manifests.\n"
        );
    }

    #[test]
    fn a_plan_over_the_comment_limit_drops_whole_sections_from_the_end() {
        let cases: Vec<CasePlan> = (0..400)
            .map(|index| {
                let mut case = fixtures::update_case();
                case.name = format!("case-{index:03}");
                case
            })
            .collect();
        let plan = Plan::from_cases(cases);
        let markdown = render_markdown(&plan);
        assert!(comment_length(&markdown) <= GITHUB_COMMENT_LIMIT);
        assert!(markdown.chars().count() <= GITHUB_COMMENT_LIMIT);
        assert!(markdown.contains("more cases not shown"));
        assert!(markdown.contains("run `sirops plan` for the full plan"));
        assert_balanced(&markdown);
        // The sections kept are the first ones, whole.
        let shown = markdown.matches("</details>").count();
        assert!(shown > 10);
        assert!(markdown.contains("<code>case-000 (1234567890)</code>"));
        assert!(!markdown.contains("<code>case-399 (1234567890)</code>"));
        assert!(markdown.contains(&format!("{} more cases not shown", 400 - shown)));
    }

    #[test]
    fn a_plan_of_wide_characters_still_fits() {
        // Each emoji is one character but two UTF-16 units: counting units is the safe side.
        let cases: Vec<CasePlan> = (0..400)
            .map(|index| {
                let mut case = fixtures::update_case();
                case.name = format!("case-{index:03}");
                case.notes = vec!["🔥".repeat(300)];
                case
            })
            .collect();
        let markdown = render_markdown(&Plan::from_cases(cases));
        assert!(comment_length(&markdown) <= GITHUB_COMMENT_LIMIT);
        assert_balanced(&markdown);
    }

    #[test]
    fn values_cannot_close_fences_or_inject_markup() {
        let mut case = fixtures::update_case();
        case.name = "evil`name".into();
        case.case_id = Some("1234567890</summary><img src=x>".into());
        case.changes[0].after = Some(serde_json::json!("````\n</details>\n@security-team"));
        case.changes[1].after = Some(serde_json::json!("line\n ```\n</details>\n"));
        case.notes.push("ping @security-team <b>now</b>".into());
        let plan = Plan::from_cases(vec![case]);
        let markdown = render_markdown(&plan);
        assert_balanced(&markdown);
        assert!(!markdown.contains("<img"));
        assert!(
            markdown
                .contains("<code>evil`name (1234567890&lt;/summary&gt;&lt;img src=x&gt;)</code>")
        );
        assert!(markdown.contains("`````diff"), "{markdown}");
    }

    #[test]
    fn code_spans_and_text_escapes() {
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`a"), "`` `a ``");
        assert_eq!(escape_text("*x* [y](z) @t"), "\\*x\\* \\[y\\]\\(z\\) \\@t");
        assert_eq!(fenced("diff", "+ a"), "```diff\n+ a\n```\n");
    }
}
