//! `sirops status`: each case's live status from one ListCases scan, as a table or JSON.

use std::fmt::Write as _;

use super::args::{GlobalArgs, StatusArgs, StatusFormat};
use super::{Connection, Outcome, Shown, connect, load_valid_workspace, output};
use crate::live::CaseApi;
use crate::model::Timestamp;
use crate::ops::status::{LiveStatus, Status, StatusRow, WAITING_ON_CUSTOMER, read_status};
use crate::plan::{BOLD_RED, Painter, YELLOW, printable};

pub(super) async fn run(global: &GlobalArgs, args: StatusArgs) -> anyhow::Result<Outcome> {
    let Some(workspace) = load_valid_workspace(
        &Shown::new(global, args.format == StatusFormat::Json),
        &args.paths,
    )?
    else {
        return Ok(Outcome::Failure);
    };
    let Connection { api, _local, .. } = connect(global).await?;
    let status = read_status(&api, &workspace.manifests.manifests, args.all).await?;
    let throttling = api.pacing().describe();
    let rendered = match args.format {
        StatusFormat::Text => {
            let mut text = render_text(&status, output::stdout_color(global));
            if let Some(line) = &throttling {
                let _ = write!(text, "\nNote: {line}.\n");
            }
            text
        }
        StatusFormat::Json => render_json(&status),
    };
    output::print_stdout(&rendered)?;
    if !global.quiet {
        for line in warnings(&status) {
            eprintln!("{line}");
        }
    }
    if let (Some(line), StatusFormat::Json) = (&throttling, args.format) {
        eprintln!("note: {line}");
    }
    Ok(Outcome::Success)
}

/// Pretty JSON with a trailing newline (`docs/reference.md`, "Status").
fn render_json(status: &Status) -> String {
    let mut json = serde_json::to_string_pretty(status).expect("a status always serialises");
    json.push('\n');
    json
}

/// A table with a marker before each case AWS waits on, and the count of those at the end.
fn render_text(status: &Status, color: bool) -> String {
    let painter = Painter { color };
    let paint = |style: &str, text: &str| painter.paint(style, text);
    let header = [
        "NAME",
        "CASE ID",
        "STATUS",
        "PENDING ACTION",
        "LAST UPDATED",
    ]
    .map(String::from);
    let rows: Vec<[String; 5]> = status.cases.iter().map(cells).collect();
    let mut widths = header.clone().map(|cell| cell.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String; 5], styles: [Option<&str>; 5]| {
        let mut line = String::new();
        for (index, cell) in cells.iter().enumerate() {
            let last = index == cells.len() - 1;
            let padded = if last {
                cell.clone()
            } else {
                format!("{cell:<width$}  ", width = widths[index])
            };
            match styles[index] {
                Some(style) => line.push_str(&paint(style, &padded)),
                None => line.push_str(&padded),
            }
        }
        line.trim_end().to_string()
    };

    let mut out = String::new();
    if rows.is_empty() {
        out.push_str("No manifests here (--all lists every case of the account and region).\n");
    } else {
        let _ = writeln!(out, "  {}", line(&header, [None; 5]));
        for (row, cells) in status.cases.iter().zip(&rows) {
            let marker = if row.waits_on_customer() {
                paint(BOLD_RED, "!")
            } else {
                " ".to_string()
            };
            let status_style = (row.status == LiveStatus::Missing).then_some(YELLOW);
            let pending_style = row.waits_on_customer().then_some(BOLD_RED);
            let styles = [None, None, status_style, pending_style, None];
            let _ = writeln!(out, "{marker} {}", line(cells, styles));
        }
    }
    let waiting = status.waiting_on_customer;
    let summary = format!(
        "{} on you (pendingAction {WAITING_ON_CUSTOMER}).",
        match waiting {
            1 => "1 case waits".to_string(),
            _ => format!("{waiting} cases wait"),
        }
    );
    out.push('\n');
    if waiting > 0 {
        out.push_str(&paint(BOLD_RED, &summary));
    } else {
        out.push_str(&summary);
    }
    out.push('\n');
    out
}

/// The cells of one row: `-` for what is absent (and for a pending action of `None`).
fn cells(row: &StatusRow) -> [String; 5] {
    let absent = || "-".to_string();
    [
        row.name.clone().unwrap_or_else(absent),
        row.case_id.as_deref().map_or_else(absent, printable),
        row.status.as_str().to_string(),
        row.pending_action
            .as_deref()
            .filter(|action| *action != "None")
            .map_or_else(absent, printable),
        row.last_updated.map_or_else(absent, Timestamp::to_rfc3339),
    ]
}

/// What stderr says beside the rows: each case id the listing lacks, and each manifest that
/// records none.
fn warnings(status: &Status) -> Vec<String> {
    let name = |row: &StatusRow| row.name.clone().unwrap_or_default();
    let source = |row: &StatusRow| row.source.clone().unwrap_or_default();
    let missing = status.missing().map(|row| {
        format!(
            "warning: {}: case {} (metadata.caseId, {}) is not among the cases ListCases returned: check the id, and that --region and the credentials are the case's account and region",
            name(row),
            row.case_id.as_deref().map(printable).unwrap_or_default(),
            source(row)
        )
    });
    let mut lines: Vec<String> = missing.collect();
    // One line for them all: a repository that never wrote ids back has many.
    let unrecorded: Vec<String> = status.without_case_id().map(name).collect();
    if !unrecorded.is_empty() {
        lines.push(format!(
            "hint: no case id is recorded in {} ({}): `sirops apply --write-back` records each (creating the case if there is none), or `sirops import CASE_ID` writes a manifest for an existing case",
            output::plural(unrecorded.len(), "manifest"),
            unrecorded.join(", ")
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CaseStatus;
    use crate::ops::status::FORMAT_VERSION;
    use crate::plan::RESET;

    fn row(name: Option<&str>, case_id: Option<&str>, status: LiveStatus) -> StatusRow {
        StatusRow {
            name: name.map(str::to_string),
            case_id: case_id.map(str::to_string),
            status,
            pending_action: Some("None".into()),
            last_updated: Some(Timestamp::from_epoch_millis(1_795_161_600_000)),
            managed: name.is_some(),
            source: name.map(|name| format!("cases/{name}.yaml:1")),
        }
    }

    fn sample() -> Status {
        let waiting = StatusRow {
            pending_action: Some("Customer".into()),
            ..row(
                Some("payroll"),
                Some("0000000001"),
                LiveStatus::Live(CaseStatus::Acknowledged),
            )
        };
        let unrecorded = StatusRow {
            pending_action: None,
            last_updated: None,
            ..row(Some("new"), None, LiveStatus::Unknown)
        };
        let missing = StatusRow {
            pending_action: None,
            last_updated: None,
            ..row(Some("gone"), Some("0000000009"), LiveStatus::Missing)
        };
        let other = row(
            None,
            Some("0000000002"),
            LiveStatus::Live(CaseStatus::DetectionAndAnalysis),
        );
        Status {
            format_version: FORMAT_VERSION,
            cases: vec![missing, unrecorded, waiting, other],
            waiting_on_customer: 1,
        }
    }

    #[test]
    fn the_table_marks_the_cases_aws_waits_on_and_counts_them() {
        let text = render_text(&sample(), false);
        assert_eq!(
            text,
            "  NAME     CASE ID     STATUS                  PENDING ACTION  LAST UPDATED
  gone     0000000009  missing                 -               -
  new      -           unknown                 -               -
! payroll  0000000001  Acknowledged            Customer        2026-11-20T08:00:00Z
  -        0000000002  Detection and Analysis  -               2026-11-20T08:00:00Z

1 case waits on you (pendingAction Customer).
"
        );
    }

    #[test]
    fn colour_paints_the_marker_the_pending_action_and_the_count() {
        let text = render_text(&sample(), true);
        assert!(text.contains(&format!("{BOLD_RED}!{RESET}")), "{text}");
        assert!(text.contains(&format!("{BOLD_RED}Customer")), "{text}");
        assert!(text.contains(&format!("{YELLOW}missing")), "{text}");
        assert!(
            text.ends_with(&format!(
                "{BOLD_RED}1 case waits on you (pendingAction Customer).{RESET}\n"
            )),
            "{text}"
        );
    }

    #[test]
    fn no_rows_still_says_how_many_cases_wait() {
        let empty = Status {
            format_version: FORMAT_VERSION,
            cases: Vec::new(),
            waiting_on_customer: 0,
        };
        let text = render_text(&empty, false);
        assert!(text.starts_with("No manifests here"), "{text}");
        assert!(text.ends_with("\n0 cases wait on you (pendingAction Customer).\n"));
    }

    #[test]
    fn a_control_character_from_the_service_is_shown_escaped() {
        let mut status = sample();
        status.cases[3].pending_action = Some("Customer\x1b[2J".into());
        let text = render_text(&status, false);
        assert!(!text.contains('\x1b'), "{text}");
        assert!(text.contains("Customer\\u{1b}[2J"), "{text}");
    }

    #[test]
    fn stderr_names_each_missing_case_and_each_manifest_without_an_id() {
        let lines = warnings(&sample());
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].starts_with(
                "warning: gone: case 0000000009 (metadata.caseId, cases/gone.yaml:1) is not among the cases ListCases returned"
            ),
            "{lines:?}"
        );
        assert!(
            lines[1].starts_with("hint: no case id is recorded in 1 manifest (new): "),
            "{lines:?}"
        );
        assert!(lines[1].contains("--write-back"), "{lines:?}");
    }

    #[test]
    fn the_json_ends_with_a_newline_and_reads_back() {
        let json = render_json(&sample());
        assert!(json.ends_with("}\n"));
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["waitingOnCustomer"], 1);
        assert_eq!(value["cases"][2]["pendingAction"], "Customer");
    }
}
