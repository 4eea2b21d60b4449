//! sirops in CI: GitHub workflow commands, step summaries and outputs, and GitLab's reports,
//! with the runners' environment variables set the way GitHub and GitLab set them.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::support::{Sandbox, github_outputs, manifest};

/// A manifest whose watcher email is invalid, and the 1-based line and column of that value.
fn bad_watcher_manifest(name: &str) -> (String, usize, usize) {
    let text = manifest(name, "  watchers:\n    - email: not-an-address\n");
    let line = text
        .lines()
        .position(|line| line.contains("not-an-address"))
        .unwrap()
        + 1;
    let column = text
        .lines()
        .nth(line - 1)
        .unwrap()
        .find("not-an-address")
        .unwrap()
        + 1;
    (text, line, column)
}

/// The environment of a GitHub Actions step, with its files in the sandbox.
fn actions_env(sandbox: &Sandbox) -> Vec<(String, String)> {
    let path = |name: &str| sandbox.path().join(name).display().to_string();
    vec![
        ("GITHUB_ACTIONS".into(), "true".into()),
        ("GITHUB_STEP_SUMMARY".into(), path("step-summary.md")),
        ("GITHUB_OUTPUT".into(), path("github-output")),
        (
            "GITHUB_WORKSPACE".into(),
            sandbox.path().display().to_string(),
        ),
    ]
}

async fn in_actions(sandbox: &Sandbox, args: &[&str]) -> crate::support::Run {
    let env = actions_env(sandbox);
    let env: Vec<(&str, &str)> = env
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    sandbox.sirops_with_env(args, &env).await
}

/// `$GITHUB_OUTPUT` as the runner reads it.
fn read_outputs(file: &Path) -> BTreeMap<String, String> {
    github_outputs(&std::fs::read_to_string(file).unwrap())
}

/// The annotations among a stream's workflow commands, as the runner would parse them:
/// `(command, properties, message)`, unescaped.
fn workflow_commands(stream: &str) -> Vec<(String, BTreeMap<String, String>, String)> {
    let unescape = |text: &str| {
        text.replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%25", "%")
    };
    stream
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("::"))
        .filter_map(|rest| {
            let (head, message) = rest.split_once("::")?;
            let (command, properties) = head.split_once(' ').unwrap_or((head, ""));
            let properties = properties
                .split(',')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (key, value) = pair.split_once('=').unwrap();
                    (key.to_string(), unescape(value))
                })
                .collect();
            Some((command.to_string(), properties, unescape(message)))
        })
        .filter(|(command, _, _)| ["error", "warning", "notice"].contains(&command.as_str()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_manifests_are_annotated_on_their_file_line_and_column() {
    let sandbox = Sandbox::new().await;
    let (text, line, column) = bad_watcher_manifest("payroll");
    sandbox.write_manifest("payroll", &text);
    sandbox.write_case("fine", "");

    let run = in_actions(&sandbox, &["validate"]).await;
    run.expect_code(1);
    let commands = workflow_commands(&run.stdout);
    assert_eq!(
        commands.len(),
        1,
        "one annotation per problem:\n{}",
        run.stdout
    );
    let (command, properties, message) = &commands[0];
    assert_eq!(command, "error");
    assert_eq!(properties["file"], "cases/payroll.yaml");
    assert_eq!(properties["line"], line.to_string());
    assert_eq!(properties["col"], column.to_string());
    assert!(
        properties["title"].contains("invalid manifest"),
        "{properties:?}"
    );
    assert!(message.contains("email"), "{message}");
    assert!(
        run.stderr
            .contains(&format!("cases/payroll.yaml:{line}:{column}: error")),
        "the text diagnostics stay on stderr:\n{}",
        run.stderr
    );

    // Outside Actions nothing is annotated, unless asked for.
    let plain = sandbox.sirops(&["validate"]).await;
    plain.expect_code(1);
    assert!(
        workflow_commands(&plain.stdout).is_empty(),
        "{}",
        plain.stdout
    );
    let asked = sandbox
        .sirops(&["validate", "--annotations", "github"])
        .await;
    assert_eq!(
        workflow_commands(&asked.stdout).len(),
        1,
        "{}",
        asked.stdout
    );

    // A plan whose stdout is a document keeps it clean: the annotations go to stderr.
    let json = in_actions(&sandbox, &["plan", "--format", "json"]).await;
    json.expect_code(1);
    assert!(json.stdout.is_empty(), "nothing planned:\n{}", json.stdout);
    let on_stderr = workflow_commands(&json.stderr);
    assert_eq!(on_stderr.len(), 1, "{}", json.stderr);
    assert_eq!(on_stderr[0].1["line"], line.to_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn annotations_name_files_from_the_repository_root_when_run_in_a_subdirectory() {
    let sandbox = Sandbox::new().await;
    let (text, line, _) = bad_watcher_manifest("payroll");
    sandbox.write_manifest("payroll", &text);
    let env = actions_env(&sandbox);
    let env: Vec<(&str, &str)> = env
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let mut command = sandbox.sirops_command(&["validate", "."]);
    command.current_dir(sandbox.path().join("cases")).envs(env);
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let commands = workflow_commands(&stdout);
    assert_eq!(commands.len(), 1, "{stdout}");
    assert_eq!(commands[0].1["file"], "cases/payroll.yaml");
    assert_eq!(commands[0].1["line"], line.to_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_and_apply_write_the_step_summary_and_outputs() {
    let sandbox = Sandbox::new().await;
    sandbox.write_case(
        "payroll",
        "  watchers:\n    - email: alice@example.com\n  threatActorIpAddresses:\n    - ipAddress: 198.51.100.7\n",
    );
    sandbox.write_case("vendor", "");
    let summary_file = sandbox.path().join("step-summary.md");
    let outputs_file = sandbox.path().join("github-output");
    // Earlier steps of the job wrote to the same files: sirops appends.
    std::fs::write(&summary_file, "# Earlier step\n").unwrap();
    std::fs::write(&outputs_file, "earlier=kept\n").unwrap();

    let run = in_actions(
        &sandbox,
        &["plan", "--out", "plan.json", "--detailed-exitcode"],
    )
    .await;
    run.expect_code(2);
    assert!(
        !run.stdout.contains('\u{1b}'),
        "no colour in a CI log:\n{}",
        run.stdout
    );

    let summary = std::fs::read_to_string(&summary_file).unwrap();
    assert!(summary.starts_with("# Earlier step\n"), "{summary}");
    assert!(summary.contains("## sirops plan"), "{summary}");
    assert!(
        summary.contains("payroll") && summary.contains("vendor"),
        "{summary}"
    );
    for secret in ["alice@example.com", "198.51.100.7"] {
        assert!(
            !summary.contains(secret),
            "the step summary is redacted:\n{summary}"
        );
        assert!(
            run.stdout.contains(secret),
            "stdout is as asked (not redacted)"
        );
    }

    let outputs = read_outputs(&outputs_file);
    assert_eq!(outputs["earlier"], "kept");
    assert_eq!(outputs["has-changes"], "true");
    assert_eq!(outputs["has-drift"], "false");
    assert_eq!(outputs["has-errors"], "false");
    assert_eq!(outputs["create-count"], "2");
    assert_eq!(outputs["update-count"], "0");
    assert_eq!(outputs["close-count"], "0");
    assert_eq!(outputs["no-change-count"], "0");
    assert_eq!(outputs["error-count"], "0");
    assert_eq!(outputs["plan-file"], "plan.json");
    assert!(sandbox.path().join("plan.json").exists());

    // Apply adds what it did to both files.
    std::fs::remove_file(&outputs_file).unwrap();
    in_actions(
        &sandbox,
        &["apply", "--auto-approve", "--report", "report.json"],
    )
    .await
    .expect_code(0);
    let outputs = read_outputs(&outputs_file);
    assert_eq!(outputs["has-changes"], "true", "the plan it applied");
    assert_eq!(outputs["create-count"], "2");
    assert_eq!(outputs["applied-count"], "2");
    assert_eq!(outputs["created-count"], "2");
    assert_eq!(outputs["failed-count"], "0");
    assert_eq!(outputs["report-file"], "report.json");
    assert_eq!(outputs["plan-file"], "");
    let summary = std::fs::read_to_string(&summary_file).unwrap();
    let applied = &summary[summary.find("## sirops apply").expect("apply's summary")..];
    assert!(
        applied.contains("Apply complete: 2 cases changed, 0 failed."),
        "{applied}"
    );
    assert!(applied.contains("created payroll: case "), "{applied}");
    for secret in ["alice@example.com", "198.51.100.7"] {
        assert!(
            !applied.contains(secret),
            "the step summary is redacted:\n{applied}"
        );
    }

    // After an apply, a new plan says there is nothing to do.
    std::fs::remove_file(&outputs_file).unwrap();
    in_actions(&sandbox, &["plan"]).await.expect_code(0);
    let outputs = read_outputs(&outputs_file);
    assert_eq!(outputs["has-changes"], "false");
    assert_eq!(outputs["create-count"], "0");
    assert_eq!(outputs["no-change-count"], "2");
    assert_eq!(outputs["plan-file"], "");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_files_are_written_outside_actions_when_flags_name_them() {
    let sandbox = Sandbox::with_manifests(&["payroll"]).await;
    let run = sandbox
        .plan(&[
            "--step-summary",
            "summary.md",
            "--github-output",
            "outputs.txt",
        ])
        .await;
    run.expect_code(0);
    let outputs = read_outputs(&sandbox.path().join("outputs.txt"));
    assert_eq!(outputs["create-count"], "1");
    let summary = std::fs::read_to_string(sandbox.path().join("summary.md")).unwrap();
    assert!(summary.contains("payroll"), "{summary}");
    // Without the flags and outside Actions, the variables alone change nothing.
    let run = sandbox
        .sirops_with_env(&["plan"], &[("GITHUB_OUTPUT", "stray-outputs")])
        .await;
    run.expect_code(0);
    assert!(!sandbox.path().join("stray-outputs").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn manifest_text_cannot_issue_workflow_commands_in_the_log() {
    let sandbox = Sandbox::new().await;
    sandbox.write_manifest(
        "hostile",
        "apiVersion: sirops/v1
kind: Case
metadata:
  name: hostile
spec:
  title: \"##[error]forged annotation\"
  description: |
    ::add-mask::hide-everything
    ::error file=cases/other.yaml::forged
  engagementType: Security Incident
  resolverType: Self
  reportedIncidentStartDate: 2026-11-20T08:00:00Z
",
    );
    let run = in_actions(&sandbox, &["plan"]).await;
    run.expect_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let token = lines[0]
        .strip_prefix("::stop-commands::")
        .unwrap_or_else(|| panic!("the plan is guarded:\n{}", run.stdout));
    assert!(!token.is_empty() && !run.stdout[lines[0].len()..].contains("::stop-commands::"));
    assert_eq!(*lines.last().unwrap(), format!("::{token}::"));
    assert!(run.stdout.contains("forged"), "the text is still shown");
    // The runner resumes only on the token: a second run uses another one.
    let again = in_actions(&sandbox, &["plan"]).await;
    assert_ne!(again.stdout.lines().next().unwrap(), lines[0]);

    // A document is never wrapped: JSON stays JSON.
    let json = in_actions(&sandbox, &["plan", "--format", "json"]).await;
    json.expect_code(0);
    assert_eq!(json.json()["cases"][0]["name"], "hostile");
}

/// Checks an issue of a GitLab Code Quality report against the fields GitLab requires.
fn check_code_quality_issue(issue: &Value) {
    for key in ["description", "check_name", "fingerprint", "severity"] {
        assert!(issue[key].is_string(), "{key} in {issue}");
    }
    assert!(
        ["info", "minor", "major", "critical", "blocker"]
            .contains(&issue["severity"].as_str().unwrap()),
        "{issue}"
    );
    assert!(issue["location"]["path"].is_string(), "{issue}");
    assert!(
        issue["location"]["lines"]["begin"].as_u64().unwrap() >= 1,
        "{issue}"
    );
    assert!(!Path::new(issue["location"]["path"].as_str().unwrap()).is_absolute());
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_writes_a_gitlab_code_quality_report() {
    let sandbox = Sandbox::new().await;
    let (text, line, _) = bad_watcher_manifest("payroll");
    sandbox.write_manifest("payroll", &text);
    sandbox.write_manifest(
        "broken",
        &manifest(
            "broken",
            "  status: Nonsense\n  watchers:\n    - email: also-bad\n",
        ),
    );
    let run = sandbox.sirops(&["validate", "--format", "gitlab"]).await;
    run.expect_code(1);
    let report = run.json();
    let issues = report.as_array().expect("a JSON array");
    assert!(issues.len() >= 3, "{report:#}");
    for issue in issues {
        check_code_quality_issue(issue);
    }
    let payroll: Vec<&Value> = issues
        .iter()
        .filter(|issue| issue["location"]["path"] == "cases/payroll.yaml")
        .collect();
    assert_eq!(payroll.len(), 1, "{report:#}");
    assert_eq!(payroll[0]["location"]["lines"]["begin"], line);
    assert_eq!(payroll[0]["severity"], "critical");
    let mut fingerprints: Vec<&str> = issues
        .iter()
        .map(|issue| issue["fingerprint"].as_str().unwrap())
        .collect();
    fingerprints.sort_unstable();
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), issues.len(), "fingerprints are unique");
    assert!(
        run.stderr.contains("cases/payroll.yaml"),
        "text on stderr too"
    );

    // A project file error is reported on sirops.yaml.
    sandbox.write_project("manifests: [unclosed\n");
    let run = sandbox.sirops(&["validate", "--format", "gitlab"]).await;
    run.expect_code(1);
    let report = run.json();
    assert!(
        report
            .as_array()
            .unwrap()
            .iter()
            .any(|issue| issue["location"]["path"] == "sirops.yaml"),
        "{report:#}"
    );

    std::fs::remove_file(sandbox.path().join("sirops.yaml")).unwrap();
    sandbox.remove_manifest("payroll");
    sandbox.remove_manifest("broken");
    sandbox.write_case("fine", "");
    let run = sandbox.sirops(&["validate", "--format", "gitlab"]).await;
    run.expect_code(0);
    assert_eq!(run.json(), serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_writes_the_gitlab_merge_request_widget_counts() {
    let sandbox = Sandbox::with_manifests(&["payroll", "vendor", "laptop"]).await;
    sandbox.apply(&[]).await.expect_code(0);
    sandbox.write_case("payroll", "  status: Detection and Analysis\n");
    sandbox.write_case("vendor", "  status: Closed\n");
    sandbox.write_case("new-one", "");

    let run = sandbox
        .plan(&["--format", "gitlab-mr", "--detailed-exitcode"])
        .await;
    run.expect_code(2);
    let report = run.json();
    let object = report.as_object().unwrap();
    assert_eq!(
        object.keys().collect::<Vec<_>>(),
        ["create", "delete", "update"],
        "exactly the keys GitLab reads"
    );
    let plan = sandbox.plan_json(&[]).await.json();
    let summary = &plan["summary"];
    assert_eq!(report["create"], summary["create"]);
    assert_eq!(report["create"], 1);
    assert_eq!(report["update"], 1);
    assert_eq!(report["delete"], summary["close"]);
    assert_eq!(report["delete"], 1);
}
