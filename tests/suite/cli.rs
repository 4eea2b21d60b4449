//! End to end: the `sirops` binary against the emulator, live state checked through the real
//! SDK and the emulator's call counts.

use aws_sdk_securityir::types::{SelfManagedCaseStatus, Watcher};

use crate::support::{
    Sandbox, console_case, console_edit, counts, created, list_comments, manifest,
    planned_operations, update_case_status,
};

/// Applies, then checks the apply made exactly the planned write calls, that a new plan shows
/// no change and that a second apply writes nothing.
async fn apply_and_converge(sandbox: &Sandbox) -> serde_json::Value {
    let plan = sandbox.plan_json(&[]).await.expect_code(0).json();
    let (run, writes) = sandbox.sirops_writes(&["apply", "--auto-approve"]).await;
    run.expect_code(0);
    let mut planned = planned_operations(&plan);
    planned.retain(|_, count| *count > 0);
    assert_eq!(writes, planned, "apply's writes differ from the plan");

    sandbox.plan(&["--detailed-exitcode"]).await.expect_code(0);
    let (run, writes) = sandbox.sirops_writes(&["apply", "--auto-approve"]).await;
    run.expect_code(0);
    assert!(writes.is_empty(), "second apply wrote {writes:?}");
    plan
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_create_change_every_field_walk_status_and_close() {
    let sandbox = Sandbox::new().await;
    sandbox.write_manifest(
        "payroll",
        &manifest(
            "payroll",
            "  status: Detection and Analysis
  watchers:
    - email: alice@example.com
      name: Alice
    - email: bob@example.com
  threatActorIpAddresses:
    - ipAddress: 198.51.100.7
      userAgent: curl/8.4.0
  impactedServices: [Amazon S3]
  impactedAwsRegions: [us-east-1]
  impactedAccounts: [\"123456789012\"]
  caseMetadata:
    severity: high
  tags:
    team: secops
",
        ),
    );
    let plan = apply_and_converge(&sandbox).await;
    assert_eq!(plan["cases"][0]["action"], "create");
    let ids = sandbox.case_ids().await;
    assert_eq!(ids.len(), 1);
    let case_id = ids[0].clone();

    // Every field kind changes at once: the same keys as the first spec, each with a new value.
    sandbox.write_manifest(
        "payroll",
        &manifest(
            "payroll",
            "  status: Detection and Analysis
  actualIncidentStartDate: 2026-11-19T22:10:00Z
  watchers:
    - email: alice@example.com
      name: Alice Doe
      jobTitle: CISO
    - email: carol@example.com
  threatActorIpAddresses:
    - ipAddress: 203.0.113.9
  impactedServices: [AWS IAM, Amazon S3]
  impactedAwsRegions: [eu-west-1]
  impactedAccounts: [\"210987654321\"]
  caseMetadata:
    severity: critical
  tags:
    team: dfir
",
        )
        .replace("title: Incident payroll", "title: Payroll phishing")
        .replace(
            "engagementType: Security Incident",
            "engagementType: Investigation",
        ),
    );
    let plan = apply_and_converge(&sandbox).await;
    assert_eq!(plan["cases"][0]["action"], "update");
    let live = sandbox.live_case(&case_id).await;
    assert_eq!(live.title(), Some("Payroll phishing"));
    assert_eq!(live.impacted_services().len(), 2);
    assert_eq!(
        live.impacted_aws_regions()[0].region().as_str(),
        "eu-west-1"
    );
    assert_eq!(live.impacted_accounts(), ["210987654321"]);
    let alice = live
        .watchers()
        .iter()
        .find(|watcher| watcher.email() == "alice@example.com")
        .expect("alice is still a watcher after her name changed");
    assert_eq!(alice.job_title(), Some("CISO"));
    assert_eq!(live.case_metadata()[0].value(), "critical");

    // A multi-step status path: Detection and Analysis -> Containment... is one step; from
    // there to Post-incident Activities is another; ask for the far end directly.
    let text = sandbox.read_manifest("payroll").replace(
        "status: Detection and Analysis",
        "status: Post-incident Activities",
    );
    sandbox.write_manifest("payroll", &text);
    let plan = apply_and_converge(&sandbox).await;
    assert_eq!(
        plan["cases"][0]["statusPath"],
        serde_json::json!(["Detection and Analysis", "Post-incident Activities"])
    );

    let text = sandbox
        .read_manifest("payroll")
        .replace("status: Post-incident Activities", "status: Closed");
    sandbox.write_manifest("payroll", &text);
    let plan = apply_and_converge(&sandbox).await;
    assert_eq!(plan["cases"][0]["action"], "close");
    let live = sandbox.live_case(&case_id).await;
    assert_eq!(live.case_status().unwrap().as_str(), "Closed");
    assert_eq!(sandbox.case_ids().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn create_walks_the_shortest_path_from_submitted() {
    let sandbox = Sandbox::new().await;
    sandbox.write_case("walk", "  status: Post-incident Activities\n");
    let plan = apply_and_converge(&sandbox).await;
    assert_eq!(
        plan["cases"][0]["statusPath"],
        serde_json::json!([
            "Submitted",
            "Detection and Analysis",
            "Post-incident Activities"
        ])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_made_in_the_console_is_planned_and_repaired() {
    let sandbox = Sandbox::new().await;
    sandbox.write_case("drift", "  impactedServices: [Amazon S3]\n");
    apply_and_converge(&sandbox).await;
    let case_id = sandbox.case_ids().await.remove(0);
    console_edit(&sandbox.client(), &case_id, "Changed in the console")
        .await
        .unwrap();

    let plan = sandbox
        .plan_json(&["--detailed-exitcode"])
        .await
        .expect_code(2)
        .json();
    let request = &plan["cases"][0]["requests"][0];
    assert_eq!(request["operation"], "UpdateCase");
    assert_eq!(request["input"]["title"], "Incident drift");
    assert_eq!(
        request["input"]["impactedServicesToDelete"],
        serde_json::json!(["AWS Lambda"])
    );
    apply_and_converge(&sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_saved_plan_is_refused_and_writes_nothing() {
    let sandbox = Sandbox::with_manifests(&["stale"]).await;
    apply_and_converge(&sandbox).await;
    let case_id = sandbox.case_ids().await.remove(0);

    sandbox.write_case("stale", "  status: Detection and Analysis\n");
    sandbox.plan(&["--out", "plan.json"]).await.expect_code(0);
    sandbox
        .client()
        .update_case()
        .case_id(&case_id)
        .description("edited after the plan")
        .send()
        .await
        .unwrap();

    let (run, writes) = sandbox
        .sirops_writes(&["apply", "--plan", "plan.json", "--auto-approve"])
        .await;
    run.expect_code(1);
    assert!(run.stderr.contains("stale"), "{}", run.stderr);
    assert!(
        run.stderr.contains("stale:"),
        "names the drifted case: {}",
        run.stderr
    );
    assert!(writes.is_empty(), "a stale plan wrote {writes:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_current_saved_plan_applies_exactly_its_requests() {
    let sandbox = Sandbox::with_manifests(&["saved"]).await;
    apply_and_converge(&sandbox).await;
    sandbox.write_case("saved", "  status: Post-incident Activities\n");
    sandbox.plan(&["--out", "plan.json"]).await.expect_code(0);
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sandbox.path().join("plan.json")).unwrap())
            .unwrap();
    // The manifest changes again after the plan: the plan no longer says what the
    // repository asks for, so it is refused.
    sandbox.write_case("saved", "  status: Closed\n");
    let (run, writes) = sandbox
        .sirops_writes(&["apply", "--plan", "plan.json", "--auto-approve"])
        .await;
    run.expect_code(1);
    assert!(run.stderr.contains("manifests changed"), "{}", run.stderr);
    assert!(writes.is_empty(), "{writes:?}");

    sandbox.write_case("saved", "  status: Post-incident Activities\n");
    let (run, writes) = sandbox
        .sirops_writes(&["apply", "--plan", "plan.json", "--auto-approve"])
        .await;
    run.expect_code(0);
    assert_eq!(writes, planned_operations(&plan));
    assert_eq!(writes, counts(&[("UpdateCaseStatus", 2)]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_whose_response_was_lost_is_found_by_its_tag_not_duplicated() {
    let sandbox = Sandbox::with_manifests(&["lost"]).await;
    let plan = sandbox.plan_json(&[]).await.expect_code(0).json();
    let create = &plan["cases"][0]["requests"][0]["input"];
    // The CreateCase reaches the service but its response never comes back.
    let client = sandbox.client();
    let mut request = console_case(
        &client,
        create["title"].as_str().unwrap(),
        create["description"].as_str().unwrap(),
    )
    .client_token(create["clientToken"].as_str().unwrap())
    .engagement_type("Security Incident".into());
    for (key, value) in create["tags"].as_object().unwrap() {
        request = request.tags(key, value.as_str().unwrap());
    }
    request.send().await.unwrap();

    let (run, writes) = sandbox.sirops_writes(&["apply", "--auto-approve"]).await;
    run.expect_code(0);
    assert!(
        !writes.contains_key("CreateCase"),
        "created again: {writes:?}"
    );
    assert_eq!(sandbox.case_ids().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn orphans_are_closed_only_with_prune() {
    let sandbox = Sandbox::with_manifests(&["keep", "gone"]).await;
    apply_and_converge(&sandbox).await;
    sandbox.remove_manifest("gone");

    let plan = sandbox.plan_json(&[]).await.expect_code(0).json();
    assert!(
        !plan.to_string().contains("\"gone\""),
        "orphan shown without --prune"
    );
    let (run, writes) = sandbox.sirops_writes(&["apply", "--auto-approve"]).await;
    run.expect_code(0);
    assert!(writes.is_empty(), "{writes:?}");

    let plan = sandbox
        .plan(&["--prune", "--format", "json"])
        .await
        .expect_code(0)
        .json();
    assert_eq!(plan["cases"][0]["name"], "gone", "orphans come first");
    assert_eq!(plan["cases"][0]["action"], "close");
    let (run, writes) = sandbox
        .sirops_writes(&["apply", "--prune", "--auto-approve"])
        .await;
    run.expect_code(0);
    assert_eq!(writes, counts(&[("CloseCase", 1)]));
}

#[tokio::test(flavor = "multi_thread")]
async fn prune_refuses_when_no_manifest_was_loaded() {
    let sandbox = Sandbox::with_manifests(&["only"]).await;
    apply_and_converge(&sandbox).await;
    let (run, writes) = sandbox
        .sirops_writes(&["apply", "empty-dir/", "--prune", "--auto-approve"])
        .await;
    run.expect_code(1);
    assert!(writes.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn import_round_trips_to_no_change() {
    let sandbox = Sandbox::new().await;
    let client = sandbox.client();
    let dana = Watcher::builder()
        .email("Dana@Example.com")
        .name("Dana")
        .build()
        .unwrap();
    let case_id = created(
        console_case(
            &client,
            "Made in the console",
            "Multi-line\ndescription: with a colon\n",
        )
        .impacted_accounts("000000000042")
        .watchers(dana)
        .impacted_services("Amazon EC2"),
    )
    .await;
    update_case_status(
        &client,
        &case_id,
        SelfManagedCaseStatus::DetectionAndAnalysis,
    )
    .await
    .unwrap();

    sandbox
        .sirops(&["import", &case_id, "--out-dir", "cases"])
        .await
        .expect_code(0);
    sandbox.sirops(&["validate"]).await.expect_code(0);
    // The imported manifest names a case sirops does not own yet: adopting it is the only
    // change, and it is shown as such.
    let plan = sandbox
        .plan_json(&["--detailed-exitcode"])
        .await
        .expect_code(2)
        .json();
    assert_eq!(plan["cases"][0]["action"], "adopt");
    assert_eq!(
        planned_operations(&plan),
        counts(&[("TagResource", 1)]),
        "only the ownership tags"
    );
    apply_and_converge(&sandbox).await;
    let (run, writes) = sandbox
        .sirops_writes(&["plan", "--detailed-exitcode"])
        .await;
    run.expect_code(0);
    assert!(writes.is_empty());
    // Importing again would overwrite the manifest: refused.
    sandbox
        .sirops(&["import", &case_id, "--out-dir", "cases"])
        .await
        .expect_code(1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_manifest_writes_nothing_and_exits_one() {
    let sandbox = Sandbox::with_manifests(&["good"]).await;
    sandbox.write_case("bad", "  watchers:\n    - email: not-an-email\n");
    let (run, calls) = sandbox.sirops_calls(&["apply", "--auto-approve"]).await;
    run.expect_code(1);
    assert!(run.stderr.contains("bad.yaml:"), "{}", run.stderr);
    assert!(calls.is_empty(), "no API call at all: {calls:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_impossible_status_path_is_an_error_for_its_case_only() {
    let sandbox = Sandbox::new().await;
    sandbox.write_case("moved-on", "  status: Detection and Analysis\n");
    sandbox.write_case("other", "");
    apply_and_converge(&sandbox).await;
    // Submitted cannot be entered again: no legal path for this case.
    sandbox.write_manifest(
        "moved-on",
        &manifest("moved-on", "  status: Submitted\n").replace(
            "title: Incident moved-on",
            "title: A title that must not be written either",
        ),
    );
    sandbox.write_case("other", "  status: Detection and Analysis\n");
    let (run, writes) = sandbox.sirops_writes(&["apply", "--auto-approve"]).await;
    run.expect_code(1);
    assert!(run.stdout.contains("moved-on"), "{}", run.stdout);
    assert!(run.stdout.contains("no legal path") || run.stdout.contains("Submitted"));
    assert!(
        run.stderr.contains("1 case could not be planned"),
        "{}",
        run.stderr
    );
    assert_eq!(
        writes,
        counts(&[("UpdateCaseStatus", 1)]),
        "only the other case is written"
    );
    let plan = sandbox.plan_json(&[]).await.expect_code(1).json();
    let other = plan["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|case| case["name"] == "other")
        .unwrap();
    assert_eq!(other["action"], "noChange");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_case_closed_live_but_open_in_its_manifest_is_drift_not_an_error() {
    let sandbox = Sandbox::new().await;
    sandbox.write_case("closed", "  status: Closed\n");
    sandbox.write_case("other", "");
    apply_and_converge(&sandbox).await;
    sandbox.write_case("closed", "  status: Detection and Analysis\n");
    sandbox.write_case("other", "  status: Detection and Analysis\n");
    let plan = sandbox.plan(&["--format", "markdown"]).await;
    plan.expect_code(0);
    assert!(
        plan.stdout
            .contains("**Drift that apply will not change:**"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("cannot be reopened"),
        "{}",
        plan.stdout
    );
    let (run, writes) = sandbox.sirops_writes(&["apply", "--auto-approve"]).await;
    run.expect_code(0);
    assert!(
        run.stdout.contains("Drift that apply will not change:"),
        "{}",
        run.stdout
    );
    assert_eq!(writes, counts(&[("UpdateCaseStatus", 1)]));
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_without_a_terminal_needs_auto_approve() {
    let sandbox = Sandbox::with_manifests(&["ask"]).await;
    let (run, writes) = sandbox.sirops_writes(&["apply"]).await;
    run.expect_code(1);
    assert!(run.stderr.contains("--auto-approve"), "{}", run.stderr);
    assert!(writes.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn write_back_records_the_case_id_and_the_next_plan_costs_one_get_case_each() {
    let sandbox = Sandbox::new().await;
    let names: Vec<String> = (0..5).map(|index| format!("bound-{index}")).collect();
    for name in &names {
        sandbox.write_manifest(
            name,
            &format!("# keep this comment\n{}", manifest(name, "")),
        );
    }
    sandbox.apply(&["--write-back"]).await.expect_code(0);
    for name in &names {
        let text = sandbox.read_manifest(name);
        assert!(text.starts_with("# keep this comment\n"));
        assert!(text.contains("caseId:"), "{text}");
    }
    sandbox.sirops(&["validate"]).await.expect_code(0);
    let (run, calls) = sandbox.sirops_calls(&["plan", "--detailed-exitcode"]).await;
    run.expect_code(0);
    // One GetCase, and one tag read that proves the case is still this manifest's.
    let count = names.len() as u64;
    assert_eq!(
        calls,
        counts(&[("GetCase", count), ("ListTagsForResource", count)])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_comment_leaves_one_audit_comment_per_changed_case() {
    let sandbox = Sandbox::with_manifests(&["audited", "quiet"]).await;
    sandbox.apply(&["--write-back"]).await.expect_code(0);
    sandbox.write_manifest(
        "audited",
        &sandbox
            .read_manifest("audited")
            .replace("title: Incident audited", "title: Renamed incident"),
    );
    let (run, writes) = sandbox
        .writes_during(sandbox.sirops_with_env(
            &["apply", "--auto-approve", "--comment"],
            &[
                ("GITHUB_SHA", "0123abcd"),
                ("GITHUB_ACTOR", "octo-responder"),
            ],
        ))
        .await;
    run.expect_code(0);
    assert_eq!(
        writes,
        counts(&[("UpdateCase", 1), ("CreateCaseComment", 1)])
    );
    let case_id = sandbox.recorded_case_id("audited").unwrap();
    let comments = list_comments(&sandbox.client(), &case_id).await.unwrap();
    let body = comments.items()[0].body().unwrap();
    assert!(body.contains("title"), "{body}");
    assert!(
        body.contains("0123abcd") && body.contains("octo-responder"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_at_the_highest_verbosity_contain_no_sensitive_value() {
    let sandbox = Sandbox::new().await;
    let secrets = [
        "secret-watcher@example.com",
        "Zelda Secretname",
        "Chief Secret Officer",
        "203.0.113.77",
        "Secret title of the incident",
        "Secret description line",
    ];
    let text = manifest(
        "secretive",
        "  watchers:
    - email: secret-watcher@example.com
      name: Zelda Secretname
      jobTitle: Chief Secret Officer
  threatActorIpAddresses:
    - ipAddress: 203.0.113.77
",
    )
    .replace(
        "title: Incident secretive",
        "title: Secret title of the incident",
    )
    .replace("What happened to secretive.", "Secret description line");
    sandbox.write_manifest("secretive", &text);
    for args in [
        vec!["-vvv", "apply", "--auto-approve", "--comment", "--redact"],
        vec!["-vvv", "plan", "--redact"],
    ] {
        let run = sandbox.sirops(&args).await;
        run.expect_code(0);
        assert!(run.stderr.len() > 1000, "expected trace output");
        for secret in secrets {
            assert!(
                !run.stderr.contains(secret),
                "{secret} leaked into the logs of {args:?}"
            );
            assert!(
                !run.stdout.contains(secret),
                "{secret} shown despite --redact in {args:?}"
            );
        }
    }
    let run = sandbox
        .sirops_with_env(&["plan"], &[("RUST_LOG", "trace")])
        .await;
    for secret in secrets {
        assert!(
            !run.stderr.contains(secret),
            "{secret} leaked with RUST_LOG=trace"
        );
    }
}

#[test]
fn every_subcommand_help_has_an_example_and_completions_exist() {
    use clap::CommandFactory;
    let command = sirops::cli::Cli::command();
    for subcommand in command.get_subcommands() {
        let help = subcommand.clone().render_long_help().to_string();
        assert!(
            help.contains("Example"),
            "`sirops {} --help` has no example",
            subcommand.get_name()
        );
    }
    for shell in ["bash", "zsh", "fish"] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_sirops"))
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(output.status.success());
        let script = String::from_utf8(output.stdout).unwrap();
        assert!(script.contains("validate") && script.contains("auto-approve"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_are_one_clear_paragraph_not_a_debug_dump() {
    let sandbox = Sandbox::new().await;
    let run = sandbox
        .sirops(&["apply", "--plan", "missing.json", "--auto-approve"])
        .await;
    run.expect_code(1);
    assert!(
        run.stderr
            .starts_with("error: could not read the saved plan missing.json")
    );
    assert!(!run.stderr.contains("Os {"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_threat_actor_ip_whose_user_agent_changed_is_deleted_then_added_in_a_second_update() {
    let sandbox = Sandbox::new().await;
    let ips = |user_agent: &str| {
        format!(
            "  threatActorIpAddresses:
    - ipAddress: 198.51.100.7
      userAgent: {user_agent}
"
        )
    };
    sandbox.write_case("agent", &ips("curl/8.4.0"));
    apply_and_converge(&sandbox).await;

    sandbox.write_case("agent", &ips("python-requests/2.31"));
    let plan = apply_and_converge(&sandbox).await;
    let requests = &plan["cases"][0]["requests"];
    assert_eq!(
        *requests,
        serde_json::json!([
            {"operation": "UpdateCase", "input": {
                "caseId": plan["cases"][0]["caseId"],
                "threatActorIpAddressesToDelete":
                    [{"ipAddress": "198.51.100.7", "userAgent": "curl/8.4.0"}]
            }},
            {"operation": "UpdateCase", "input": {
                "caseId": plan["cases"][0]["caseId"],
                "threatActorIpAddressesToAdd":
                    [{"ipAddress": "198.51.100.7", "userAgent": "python-requests/2.31"}]
            }}
        ])
    );

    let (run, writes) = sandbox
        .sirops_writes(&["plan", "--detailed-exitcode"])
        .await;
    run.expect_code(0);
    assert!(writes.is_empty(), "plan wrote {writes:?}");
    let case_id = sandbox.case_ids().await.remove(0);
    let live = sandbox.live_case(&case_id).await;
    let ips: Vec<_> = live
        .threat_actor_ip_addresses()
        .iter()
        .map(|ip| (ip.ip_address(), ip.user_agent()))
        .collect();
    assert_eq!(ips, [("198.51.100.7", Some("python-requests/2.31"))]);
}
