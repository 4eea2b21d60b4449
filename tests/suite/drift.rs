//! Drift against the emulator with two identities: sirops applies from a git repository and
//! records the revision on the case; another principal edits the case through the SDK; plans
//! tell that edit (drift) from a change committed to git.

use std::process::Command;

use serde_json::Value;

use aws_sdk_securityir::Client;

use crate::support::{Run, Sandbox, client_as, commit_all, git, update_title};

/// A client signing as another principal: someone editing the case outside git.
fn responder(sandbox: &Sandbox) -> Client {
    client_as(
        &sandbox.emulator.endpoint_url(),
        "AKIDRESPONDER",
        "us-east-1",
    )
}

/// What a scheduled drift check runs.
async fn drift_check(sandbox: &Sandbox) -> Run {
    sandbox.plan(&["--drift", "--detailed-exitcode"]).await
}

/// Replaces `from` with `to` in the manifest of `name` and commits it.
fn commit_edit(sandbox: &Sandbox, name: &str, from: &str, to: &str) {
    let manifest = sandbox.read_manifest(name);
    assert!(manifest.contains(from), "{manifest}");
    sandbox.write_manifest(name, &manifest.replace(from, to));
    commit_all(sandbox, &format!("edit {name}"));
}

fn head(sandbox: &Sandbox) -> String {
    let output = Command::new("git")
        .current_dir(sandbox.path())
        .args(["rev-parse", "HEAD"])
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// The causes the JSON plan gives the changes of its only case with changes, by field.
fn causes(plan: &Value) -> Vec<(String, String)> {
    plan["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|case| case["changes"].as_array().cloned().unwrap_or_default())
        .map(|change| {
            (
                change["field"].as_str().unwrap().to_string(),
                change["cause"].as_str().unwrap_or("unknown").to_string(),
            )
        })
        .collect()
}

/// A repository with one applied case, its revision recorded; returns the case id.
async fn applied_repository() -> (Sandbox, String) {
    let sandbox = Sandbox::with_manifests(&["payroll"]).await;
    git(sandbox.path(), &["init", "-q"]);
    commit_all(&sandbox, "payroll");
    sandbox.apply(&["--write-back"]).await.expect_code(0);
    let case_id = sandbox.recorded_case_id("payroll").expect("written back");
    // Write-back edits the manifest; committing it is what CI's write-back push does.
    commit_all(&sandbox, "record the case id");
    let tags = sandbox.tags_of(&case_id).await;
    assert!(tags.contains_key("sirops:revision"), "{tags:?}");
    (sandbox, case_id)
}

#[tokio::test]
async fn a_pending_git_change_is_not_drift_and_a_console_edit_is() {
    let (sandbox, case_id) = applied_repository().await;

    // A change committed to git, not yet applied: a plan shows it, a drift check does not.
    commit_edit(
        &sandbox,
        "payroll",
        "What happened to payroll.",
        "What we know now.",
    );
    drift_check(&sandbox).await.expect_code(0);
    sandbox.plan(&["--detailed-exitcode"]).await.expect_code(2);
    let (plan, calls) = sandbox.sirops_calls(&["plan", "--format", "json"]).await;
    assert_eq!(
        calls.get("ListCaseEdits"),
        None,
        "no drift, no history read"
    );
    let plan = plan.expect_code(0).json();
    assert_eq!(
        causes(&plan),
        [("description".to_string(), "change".to_string())]
    );

    // Another principal retitles the case in the console: that is drift.
    let responder = responder(&sandbox);
    update_title(&responder, &case_id, "Retitled in the console")
        .await
        .unwrap();
    let drift = sandbox
        .plan(&["--drift", "--detailed-exitcode"])
        .await
        .expect_code(2)
        .stdout
        .clone();
    assert!(drift.contains("title"), "{drift}");
    assert!(drift.contains("drift: edited outside git"), "{drift}");
    assert!(
        !drift.contains("~ description"),
        "only drift is planned: {drift}"
    );
    assert!(
        drift.contains("not drift, left for a full apply: description"),
        "{drift}"
    );
    assert!(
        drift.contains("edited by arn:aws:iam::123456789012:user/AKIDRESPONDER"),
        "the plan names who made the edit: {drift}"
    );
    let (plan, calls) = sandbox.sirops_calls(&["plan", "--format", "json"]).await;
    let plan = plan.expect_code(0).json();
    assert_eq!(
        causes(&plan),
        [
            ("title".to_string(), "drift".to_string()),
            ("description".to_string(), "change".to_string()),
        ]
    );
    let title = &plan["cases"][0]["changes"][0];
    let edits = title["edits"].as_array().expect("the drift is explained");
    assert_eq!(edits.len(), 1, "{edits:?}");
    assert_eq!(
        edits[0]["principal"],
        "arn:aws:iam::123456789012:user/AKIDRESPONDER"
    );
    assert_eq!(edits[0]["action"], "TitleUpdated");
    assert_eq!(
        calls.get("ListCaseEdits"),
        Some(&1),
        "one history per drifted case"
    );
    assert!(plan["cases"][0]["changes"][1].get("edits").is_none());
    let markdown = sandbox
        .plan(&["--format", "markdown"])
        .await
        .expect_code(0)
        .stdout
        .clone();
    let callout = markdown
        .find("This PR will also revert edits made outside git")
        .expect("the revert is called out");
    assert!(callout < markdown.find("title:").unwrap(), "{markdown}");

    // Applying reverts the edit, records the new revision, and leaves nothing to do.
    sandbox.apply(&[]).await.expect_code(0);
    let tags = sandbox.tags_of(&case_id).await;
    assert_eq!(tags.get("sirops:revision"), Some(&head(&sandbox)));
    sandbox.plan(&["--detailed-exitcode"]).await.expect_code(0);
}

#[tokio::test]
async fn an_edit_in_git_and_another_in_the_console_of_one_field_is_a_conflict() {
    let (sandbox, case_id) = applied_repository().await;
    commit_edit(
        &sandbox,
        "payroll",
        "title: Incident payroll",
        "title: Git's title",
    );
    let responder = responder(&sandbox);
    update_title(&responder, &case_id, "The console's title")
        .await
        .unwrap();
    let plan = sandbox.plan_json(&[]).await.expect_code(0).json();
    assert_eq!(
        causes(&plan),
        [("title".to_string(), "conflict".to_string())]
    );
    drift_check(&sandbox).await.expect_code(2);

    // Both moved to the same value: nothing to send, and nothing called drift.
    update_title(&responder, &case_id, "Git's title")
        .await
        .unwrap();
    drift_check(&sandbox).await.expect_code(0);
}

#[tokio::test]
async fn a_plan_against_a_base_reference_compares_with_that_revision() {
    let (sandbox, case_id) = applied_repository().await;
    let applied = head(&sandbox);
    let responder = responder(&sandbox);
    update_title(&responder, &case_id, "Retitled in the console")
        .await
        .unwrap();
    let plan = sandbox
        .plan_json(&["--base", &applied])
        .await
        .expect_code(0)
        .json();
    assert_eq!(plan["cases"][0]["base"], applied.as_str());
    assert_eq!(causes(&plan), [("title".to_string(), "drift".to_string())]);
    let refused = sandbox.plan(&["--base", "no-such-ref"]).await;
    refused.expect_code(1);
    assert!(refused.stderr.contains("no-such-ref"), "{}", refused.stderr);
}

#[tokio::test]
async fn outside_a_git_work_tree_the_cause_is_unknown_and_nothing_is_drift() {
    let sandbox = Sandbox::with_manifests(&["payroll"]).await;
    sandbox.apply(&["--write-back"]).await.expect_code(0);
    let case_id = sandbox.recorded_case_id("payroll").unwrap();
    assert!(
        !sandbox
            .tags_of(&case_id)
            .await
            .contains_key("sirops:revision")
    );
    let responder = responder(&sandbox);
    update_title(&responder, &case_id, "Retitled")
        .await
        .unwrap();
    let plan = sandbox.plan_json(&[]).await.expect_code(0).json();
    assert_eq!(
        causes(&plan),
        [("title".to_string(), "unknown".to_string())]
    );
    drift_check(&sandbox).await.expect_code(0);
}

#[tokio::test]
async fn refresh_accepts_console_edits_into_the_manifest_and_lists_conflicts() {
    let (sandbox, case_id) = applied_repository().await;
    // A comment the rewrite must keep, and a git change refresh must not touch.
    let manifest = sandbox
        .read_manifest("payroll")
        .replace(
            "spec:\n",
            "spec:\n  # Owned by the payroll response team.\n",
        )
        .replace("What happened to payroll.", "What we know now.");
    sandbox.write_manifest("payroll", &manifest);
    commit_all(&sandbox, "describe payroll");
    let responder = responder(&sandbox);
    update_title(&responder, &case_id, "Retitled in the console")
        .await
        .unwrap();

    let dry = sandbox.sirops(&["refresh", "--dry-run"]).await;
    dry.expect_code(0);
    assert!(
        dry.stdout.contains("+  title: Retitled in the console"),
        "{}",
        dry.stdout
    );
    assert_eq!(
        sandbox.read_manifest("payroll"),
        manifest,
        "--dry-run writes nothing"
    );

    let (run, writes) = sandbox.sirops_writes(&["refresh"]).await;
    run.expect_code(0);
    assert!(writes.is_empty(), "refresh writes no case: {writes:?}");
    let refreshed = sandbox.read_manifest("payroll");
    assert_eq!(
        refreshed,
        manifest.replace("title: Incident payroll", "title: Retitled in the console"),
        "only the drifted field changed"
    );
    // What is left is the git change alone.
    let plan = sandbox.plan_json(&[]).await.expect_code(0).json();
    assert_eq!(
        causes(&plan),
        [("description".to_string(), "change".to_string())]
    );

    // A conflict is listed with both values and not rewritten.
    commit_all(&sandbox, "accept the console's title");
    sandbox.apply(&[]).await.expect_code(0);
    let manifest = sandbox
        .read_manifest("payroll")
        .replace("title: Retitled in the console", "title: Git's title");
    sandbox.write_manifest("payroll", &manifest);
    commit_all(&sandbox, "retitle");
    update_title(&responder, &case_id, "The console's title")
        .await
        .unwrap();
    let conflicted = sandbox.sirops(&["refresh"]).await;
    conflicted.expect_code(1);
    assert!(
        conflicted.stdout.contains(
            "conflict, not rewritten: payroll title: git has \"Git's title\", the live case \"The console's title\""
        ),
        "{}",
        conflicted.stdout
    );
    assert_eq!(sandbox.read_manifest("payroll"), manifest);
}

/// A repository whose `sirops.yaml` expects the responder's edits of impactedServices, with
/// one case applied and its id committed.
async fn trusting_responders() -> (Sandbox, String) {
    let sandbox = Sandbox::new().await;
    sandbox.write_project(
        "ignoreDrift:\n  - fields: [impactedServices]\n    principals: [\"arn:aws:iam::*:user/AKIDRESPONDER\"]\n",
    );
    sandbox.write_case("payroll", "  impactedServices: [Amazon S3]\n");
    git(sandbox.path(), &["init", "-q"]);
    commit_all(&sandbox, "payroll");
    sandbox.apply(&["--write-back"]).await.expect_code(0);
    let case_id = sandbox.recorded_case_id("payroll").unwrap();
    commit_all(&sandbox, "record the case id");
    (sandbox, case_id)
}

#[tokio::test]
async fn drift_a_rule_expects_is_shown_but_never_reverted_or_failed() {
    let (sandbox, case_id) = trusting_responders().await;

    // The responder the rule names adds a service: expected, left alone.
    let responder = responder(&sandbox);
    responder
        .update_case()
        .case_id(&case_id)
        .impacted_services_to_add("AWS Lambda")
        .send()
        .await
        .unwrap();
    drift_check(&sandbox).await.expect_code(0);
    let (run, writes) = sandbox.sirops_writes(&["apply", "--auto-approve"]).await;
    run.expect_code(0);
    assert!(
        writes.is_empty(),
        "expected drift is never reverted: {writes:?}"
    );
    let plan = sandbox.plan_json(&[]).await.expect_code(0).json();
    let notes = plan["cases"][0]["notes"].to_string();
    assert!(
        notes.contains("expected drift, left alone")
            && notes.contains(
                "impactedServices (edited by arn:aws:iam::123456789012:user/AKIDRESPONDER"
            ),
        "{notes}"
    );
    assert!(!notes.contains("converged"), "{notes}");

    // Anyone else's edit of the same field is drift to revert.
    let console = client_as(&sandbox.emulator.endpoint_url(), "AKIDCONSOLE", "us-east-1");
    console
        .update_case()
        .case_id(&case_id)
        .impacted_services_to_add("Amazon EC2")
        .send()
        .await
        .unwrap();
    drift_check(&sandbox).await.expect_code(2);

    // A manifest may expect drift of its own fields from anyone.
    let manifest = sandbox
        .read_manifest("payroll")
        .replace("metadata:\n", "metadata:\n  ignore: [impactedServices]\n");
    sandbox.write_manifest("payroll", &manifest);
    commit_all(&sandbox, "the responders own the services");
    drift_check(&sandbox).await.expect_code(0);
}

#[tokio::test]
async fn apply_drift_repairs_only_the_edits_made_outside_git() {
    let (sandbox, case_id) = applied_repository().await;
    let applied = sandbox.tags_of(&case_id).await["sirops:revision"].clone();
    commit_edit(
        &sandbox,
        "payroll",
        "What happened to payroll.",
        "What we know now.",
    );
    let responder = responder(&sandbox);
    update_title(&responder, &case_id, "Retitled in the console")
        .await
        .unwrap();

    let plan = sandbox.plan_json(&["--drift"]).await.expect_code(0).json();
    let notes = plan["cases"][0]["notes"].to_string();
    assert!(
        notes.contains("not drift, left for a full apply: description"),
        "{notes}"
    );
    let (run, writes) = sandbox
        .sirops_writes(&["apply", "--auto-approve", "--drift"])
        .await;
    run.expect_code(0);
    assert_eq!(writes.get("UpdateCase"), Some(&1), "{writes:?}");
    assert_eq!(
        writes.get("TagResource"),
        None,
        "the revision stays: {writes:?}"
    );
    let live = sandbox.live_case(&case_id).await;
    assert_eq!(live.title(), Some("Incident payroll"));
    assert_eq!(live.description(), Some("What happened to payroll.\n"));
    assert_eq!(sandbox.tags_of(&case_id).await["sirops:revision"], applied);
    drift_check(&sandbox).await.expect_code(0);
    let plan = sandbox.plan_json(&[]).await.expect_code(0).json();
    assert_eq!(
        causes(&plan),
        [("description".to_string(), "change".to_string())]
    );
}

#[tokio::test]
async fn sirops_own_edits_are_told_from_everyone_elses() {
    let sirops = "arn:aws:iam::123456789012:user/test";
    let (sandbox, case_id) = trusting_responders().await;
    // sirops itself edits the field after the base's commit, applying it.
    commit_edit(
        &sandbox,
        "payroll",
        "[Amazon S3]",
        "[Amazon S3, Amazon EC2]",
    );
    sandbox.apply(&[]).await.expect_code(0);

    // The responder the rule trusts edits the same field: sirops's own edit, which applied
    // git, neither explains the drift nor keeps the rule from covering it.
    responder(&sandbox)
        .update_case()
        .case_id(&case_id)
        .impacted_services_to_add("AWS Lambda")
        .send()
        .await
        .unwrap();
    drift_check(&sandbox).await.expect_code(0);
    let plan = sandbox.plan_json(&[]).await.expect_code(0).json();
    let notes = plan["cases"][0]["notes"].to_string();
    assert!(notes.contains("user/AKIDRESPONDER"), "{notes}");
    assert!(!notes.contains(sirops), "{notes}");

    // An apply from uncommitted manifests records no revision; once the manifest is back at
    // git's, the only edit that explains the difference is sirops's own, and it says so.
    let committed = sandbox.read_manifest("payroll");
    sandbox.write_manifest(
        "payroll",
        &committed.replace("Incident payroll", "Tried out locally"),
    );
    sandbox.apply(&[]).await.expect_code(0);
    sandbox.write_manifest("payroll", &committed);
    let run = drift_check(&sandbox).await;
    let text = &run.expect_code(2).stdout;
    assert!(text.contains(&format!("by {sirops} (sirops) at")), "{text}");
    let plan = sandbox.plan_json(&["--drift"]).await.expect_code(0).json();
    let title = plan["cases"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|change| change["field"] == "title")
        .cloned()
        .unwrap();
    assert_eq!(title["cause"], "drift", "{title}");
    assert_eq!(title["edits"][0]["principal"], sirops, "{title}");
    assert_eq!(title["edits"][0]["bySirops"], true, "{title}");
}
