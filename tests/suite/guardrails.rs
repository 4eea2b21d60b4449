//! The guardrails, end to end: the `sirops` binary against the emulator, each test one way a
//! run could close, overwrite or hide a case the reviewer did not see coming.

use std::collections::BTreeMap;

use crate::support::{
    Sandbox, case_status, console_case, counts, created, list_case_edits, list_comments, manifest,
    manifest_with_metadata, recorded_case_id, untag_resource,
};

fn case_named<'a>(plan: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    plan["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|case| case["name"] == name)
        .unwrap_or_else(|| panic!("no case {name} in {plan:#}"))
}

async fn status_of(sandbox: &Sandbox, case_id: &str) -> String {
    case_status(&sandbox.client(), case_id).await
}

#[tokio::test(flavor = "multi_thread")]
async fn prune_over_part_of_the_manifest_root_is_refused_before_any_call() {
    let sandbox = Sandbox::new().await;
    std::fs::create_dir_all(sandbox.path().join("cases/team")).unwrap();
    sandbox.write_plain_manifests(&["one", "two"]);
    std::fs::write(
        sandbox.path().join("cases/team/three.yaml"),
        manifest("three", ""),
    )
    .unwrap();
    sandbox.apply(&[]).await.expect_code(0);

    for subset in [vec!["cases/one.yaml"], vec!["cases/team"]] {
        let mut args = vec!["apply", "--prune", "--auto-approve"];
        args.extend(subset.iter().copied());
        let (run, calls) = sandbox.sirops_calls(&args).await;
        run.expect_code(1);
        assert!(
            run.stderr
                .contains("--prune needs the whole manifest root cases"),
            "{}",
            run.stderr
        );
        assert!(calls.is_empty(), "{subset:?}: {calls:?}");
        let plan = sandbox
            .sirops_calls(&[&["plan", "--prune"], &subset[..]].concat())
            .await;
        plan.0.expect_code(1);
        assert!(plan.1.is_empty());
    }
    // The whole root, or a directory above it, may prune: nothing is orphaned here.
    for whole in [vec![], vec!["cases"], vec!["."]] {
        let run = sandbox
            .sirops(&[&["plan", "--prune", "--detailed-exitcode"], &whole[..]].concat())
            .await;
        if whole == ["."] {
            // `.` also reads files that are not manifests; only the guard matters here.
            assert!(!run.stderr.contains("--prune needs"), "{}", run.stderr);
        } else {
            run.expect_code(0);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn more_orphans_than_max_prune_is_refused_unless_raised() {
    let sandbox = Sandbox::new().await;
    let names: Vec<String> = (0..8).map(|index| format!("drill-{index}")).collect();
    sandbox.write_plain_manifests(&names);
    sandbox.apply(&[]).await.expect_code(0);
    for name in &names[1..] {
        sandbox.remove_manifest(name);
    }
    let (run, writes) = sandbox
        .sirops_writes(&["apply", "--prune", "--auto-approve"])
        .await;
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("--prune would close 7 cases, more than --max-prune 5"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("drill-7 ("),
        "names them: {}",
        run.stderr
    );
    assert!(run.stderr.contains("--max-prune 7"), "{}", run.stderr);
    assert!(writes.is_empty(), "{writes:?}");

    let plan = sandbox
        .plan(&["--prune", "--max-prune", "7", "--format", "json"])
        .await
        .expect_code(0)
        .json();
    assert_eq!(plan["summary"]["prune"], 7);
    assert_eq!(plan["summary"]["irreversible"], 7);
    let first: Vec<&str> = plan["cases"].as_array().unwrap()[..7]
        .iter()
        .map(|case| case["action"].as_str().unwrap())
        .collect();
    assert_eq!(first, ["close"; 7], "irreversible requests come first");
    let text = sandbox.plan(&["--prune", "--max-prune", "7"]).await.stdout;
    assert!(text.contains("7 irreversible"), "{text}");

    let (run, writes) = sandbox
        .sirops_writes(&["apply", "--prune", "--max-prune", "7", "--auto-approve"])
        .await;
    run.expect_code(0);
    assert_eq!(writes, counts(&[("CloseCase", 7)]));
}

#[tokio::test(flavor = "multi_thread")]
async fn two_scopes_in_one_account_never_touch_each_others_cases() {
    let sandbox = Sandbox::new().await;
    sandbox.write_project("scope: team-a\n");
    let team_b = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(team_b.path().join("cases")).unwrap();
    std::fs::write(team_b.path().join("sirops.yaml"), "scope: team-b\n").unwrap();
    sandbox.write_plain_manifests(&["shared", "only-a"]);
    for name in ["shared", "only-b"] {
        std::fs::write(
            team_b.path().join(format!("cases/{name}.yaml")),
            manifest(name, "  status: Detection and Analysis\n"),
        )
        .unwrap();
    }
    sandbox.apply(&["--write-back"]).await.expect_code(0);
    sandbox
        .sirops_in(team_b.path(), &["apply", "--auto-approve", "--write-back"])
        .await
        .expect_code(0);
    // One manifest name, two scopes: two cases, each tagged with its scope.
    assert_eq!(sandbox.case_ids().await.len(), 4);
    let a_shared = sandbox.recorded_case_id("shared").unwrap();
    let b_text = std::fs::read_to_string(team_b.path().join("cases/shared.yaml")).unwrap();
    let b_shared = recorded_case_id(&b_text).unwrap();
    assert_ne!(a_shared, b_shared);
    assert_eq!(sandbox.tags_of(&a_shared).await["sirops:scope"], "team-a");
    assert_eq!(sandbox.tags_of(&b_shared).await["sirops:scope"], "team-b");

    // Team A deletes all its manifests but one and prunes: only its own orphan is closed.
    sandbox.remove_manifest("shared");
    let plan = sandbox
        .plan(&["--prune", "--format", "json"])
        .await
        .expect_code(0)
        .json();
    let pruned: Vec<&str> = plan["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|case| case["prune"] == true)
        .map(|case| case["caseId"].as_str().unwrap())
        .collect();
    assert_eq!(pruned, [a_shared.as_str()]);
    sandbox
        .sirops(&["apply", "--prune", "--auto-approve"])
        .await
        .expect_code(0);
    assert_eq!(status_of(&sandbox, &a_shared).await, "Closed");
    assert_eq!(
        status_of(&sandbox, &b_shared).await,
        "Detection and Analysis"
    );

    // Team A cannot adopt team B's case by naming its id: refused, nothing written.
    sandbox.write_manifest(
        "grab",
        &manifest_with_metadata("grab", &format!("caseId: \"{b_shared}\"")),
    );
    let (run, writes) = sandbox.sirops_writes(&["apply", "--auto-approve"]).await;
    run.expect_code(1);
    assert!(
        run.stdout.contains("belongs to scope \"team-b\""),
        "{}",
        run.stdout
    );
    assert!(writes.is_empty(), "{writes:?}");

    // Team B sees nothing to do.
    sandbox
        .sirops_in(team_b.path(), &["plan", "--prune", "--detailed-exitcode"])
        .await
        .expect_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_case_made_before_scopes_gets_its_scope_tag_on_the_next_apply() {
    let sandbox = Sandbox::with_manifests(&["legacy"]).await;
    sandbox.apply(&["--write-back"]).await.expect_code(0);
    let case_id = sandbox.recorded_case_id("legacy").unwrap();
    let arn = sandbox.arn_of(&case_id).await;
    // What an older sirops left: the ownership tag only.
    untag_resource(&sandbox.client(), &arn, &["sirops:scope"])
        .await
        .unwrap();

    let plan = sandbox
        .plan_json(&["--detailed-exitcode"])
        .await
        .expect_code(2)
        .json();
    assert_eq!(plan["cases"][0]["action"], "update");
    assert_eq!(
        plan["cases"][0]["requests"][0]["input"]["tags"],
        serde_json::json!({"sirops:scope": "default"})
    );
    sandbox.apply(&[]).await.expect_code(0);
    assert_eq!(sandbox.tags_of(&case_id).await["sirops:scope"], "default");
    sandbox.plan(&["--detailed-exitcode"]).await.expect_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn adoption_is_shown_even_redacted_and_tags_the_case_on_apply() {
    let sandbox = Sandbox::new().await;
    let client = sandbox.client();
    let case_id = created(console_case(
        &client,
        "Vendor breach",
        "Made in the console.\n",
    ))
    .await;
    sandbox.write_manifest(
        "vendor-breach",
        &manifest_with_metadata("vendor-breach", &format!("caseId: \"{case_id}\"")),
    );
    let (markdown, writes) = sandbox
        .sirops_writes(&[
            "plan",
            "--format",
            "markdown",
            "--redact",
            "--detailed-exitcode",
        ])
        .await;
    markdown.expect_code(2);
    assert!(writes.is_empty());
    assert!(
        markdown.stdout.contains("1 to adopt"),
        "{}",
        markdown.stdout
    );
    assert!(
        markdown.stdout.contains(&format!(
            "> - `vendor-breach ({case_id})`, live status Submitted"
        )),
        "{}",
        markdown.stdout
    );
    assert!(markdown.stdout.contains("will be adopted"));
    assert!(!markdown.stdout.contains("Vendor breach"), "redacted title");

    let json = sandbox.plan_json(&[]).await.expect_code(0).json();
    let case = &json["cases"][0];
    assert_eq!(case["action"], "adopt");
    assert_eq!(case["caseId"], case_id.as_str());
    assert_eq!(case["adoption"]["liveStatus"], "Submitted");
    assert!(
        sandbox
            .sirops(&["plan"])
            .await
            .stdout
            .contains("will be adopted")
    );

    sandbox.apply(&[]).await.expect_code(0);
    let tags = sandbox.tags_of(&case_id).await;
    assert_eq!(tags["sirops:name"], "vendor-breach");
    assert_eq!(tags["sirops:scope"], "default");
    sandbox.plan(&["--detailed-exitcode"]).await.expect_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_case_claimed_by_two_manifests_is_an_error_naming_both_files() {
    let sandbox = Sandbox::with_manifests(&["first"]).await;
    sandbox.apply(&[]).await.expect_code(0);
    let case_id = sandbox.case_ids().await.remove(0);
    sandbox.write_manifest(
        "second",
        &manifest_with_metadata("second", &format!("caseId: \"{case_id}\"")),
    );
    let (run, writes) = sandbox.sirops_writes(&["apply", "--auto-approve"]).await;
    run.expect_code(1);
    assert!(writes.is_empty(), "{writes:?}");
    let plan = sandbox.plan_json(&[]).await.expect_code(1).json();
    for (name, other) in [("first", "second.yaml"), ("second", "first.yaml")] {
        let case = case_named(&plan, name);
        assert_eq!(case["action"], "error", "{case:#}");
        assert!(
            case["error"].as_str().unwrap().contains(other),
            "{name} names {other}: {case:#}"
        );
    }
    assert_eq!(sandbox.tags_of(&case_id).await["sirops:name"], "first");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_local_plan_is_refused_against_another_endpoint() {
    let sandbox = Sandbox::with_manifests(&["local-only"]).await;
    sandbox
        .plan(&["--local", "--out", "plan.json"])
        .await
        .expect_code(0);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sandbox.path().join("plan.json")).unwrap())
            .unwrap();
    assert!(
        saved["target"]["endpoint"]
            .as_str()
            .unwrap()
            .starts_with("local:")
    );
    assert!(saved["manifestDigest"].is_string());

    let (run, calls) = sandbox
        .sirops_calls(&["apply", "--plan", "plan.json", "--auto-approve"])
        .await;
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("the plan was made against endpoint local:"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&sandbox.emulator.endpoint_url()),
        "{}",
        run.stderr
    );
    assert!(calls.is_empty(), "{calls:?}");
    assert!(sandbox.case_ids().await.is_empty());

    // Where it was made, it applies.
    sandbox
        .sirops(&["apply", "--local", "--plan", "plan.json", "--auto-approve"])
        .await
        .expect_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_plan_whose_request_names_another_case_is_refused() {
    let sandbox = Sandbox::with_manifests(&["target", "bystander"]).await;
    sandbox.apply(&["--write-back"]).await.expect_code(0);
    let bystander = sandbox.recorded_case_id("bystander").unwrap();
    sandbox.write_manifest(
        "target",
        &sandbox
            .read_manifest("target")
            .replace("title: Incident target", "title: New title"),
    );
    sandbox.plan(&["--out", "plan.json"]).await.expect_code(0);
    let path = sandbox.path().join("plan.json");
    let mut plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let target = plan["cases"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|case| case["name"] == "target")
        .unwrap();
    target["requests"][0]["input"]["caseId"] = serde_json::json!(bystander);
    std::fs::write(&path, serde_json::to_string_pretty(&plan).unwrap()).unwrap();

    let (run, writes) = sandbox
        .sirops_writes(&["apply", "--plan", "plan.json", "--auto-approve"])
        .await;
    run.expect_code(1);
    assert!(
        run.stderr
            .contains(&format!("names caseId {bystander}, not case")),
        "{}",
        run.stderr
    );
    assert!(writes.is_empty(), "{writes:?}");
}

// Shaped like cli.rs's tests (set up, run, check each step), yet each scenario is its own.
#[tokio::test(flavor = "multi_thread")]
async fn the_audit_comment_goes_in_before_the_case_closes() {
    let sandbox = Sandbox::with_manifests(&["closing"]).await;
    sandbox.apply(&["--write-back"]).await.expect_code(0);
    let case_id = sandbox.recorded_case_id("closing").unwrap();
    sandbox.write_manifest(
        "closing",
        &sandbox.read_manifest("closing").replace(
            "reportedIncidentStartDate",
            "status: Closed\n  reportedIncidentStartDate",
        ),
    );
    let (run, writes) = sandbox
        .writes_during(sandbox.sirops_with_env(
            &["apply", "--auto-approve", "--comment"],
            &[("GITHUB_SHA", "0123abcd"), ("GITHUB_ACTOR", "octo")],
        ))
        .await;
    run.expect_code(0);
    assert!(
        run.stdout.contains("1 case changed, 0 failed"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("warning"), "{}", run.stdout);
    assert_eq!(
        writes,
        counts(&[("CloseCase", 1), ("CreateCaseComment", 1)])
    );
    let client = sandbox.client();
    let comments = list_comments(&client, &case_id).await.unwrap();
    assert_eq!(comments.items().len(), 1);
    assert!(comments.items()[0].body().unwrap().contains("Closed"));
    let edits = list_case_edits(&client, &case_id).await.unwrap();
    let actions: Vec<&str> = edits
        .items()
        .iter()
        .filter_map(|edit| edit.action())
        .filter(|action| matches!(*action, "CommentAdded" | "CaseClosed"))
        .collect();
    assert_eq!(actions, ["CommentAdded", "CaseClosed"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn write_back_records_cases_found_by_their_tag_too() {
    let sandbox = Sandbox::with_manifests(&["found"]).await;
    // Created without --write-back (a crash, or a push that was refused).
    sandbox.apply(&[]).await.expect_code(0);
    assert_eq!(sandbox.recorded_case_id("found"), None);
    let (run, writes) = sandbox
        .sirops_writes(&["apply", "--auto-approve", "--write-back"])
        .await;
    run.expect_code(0);
    assert!(writes.is_empty(), "{writes:?}");
    assert!(run.stdout.contains("Recorded 1 case id"), "{}", run.stdout);
    assert_eq!(
        sandbox.recorded_case_id("found"),
        Some(sandbox.case_ids().await.remove(0))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_exit_code_row() {
    let sandbox = Sandbox::with_manifests(&["row"]).await;
    // 0: success; 2 only with --detailed-exitcode and changes.
    sandbox.plan(&[]).await.expect_code(0);
    sandbox.plan(&["--detailed-exitcode"]).await.expect_code(2);
    sandbox.apply(&[]).await.expect_code(0);
    sandbox.plan(&["--detailed-exitcode"]).await.expect_code(0);
    // 1: usage errors, even with --detailed-exitcode.
    for args in [
        vec!["plan", "--detailed-exitcode", "--detailed-exitcod"],
        vec!["plan", "--detailed-exitcode", "--format", "yaml"],
        vec!["plan", "--parallelism", "0"],
        vec!["apply", "--parallelism", "0", "--auto-approve"],
        vec!["frobnicate"],
    ] {
        let (run, calls) = sandbox.sirops_calls(&args).await;
        run.expect_code(1);
        assert!(run.stderr.contains("error:"), "{args:?}: {}", run.stderr);
        assert!(calls.is_empty());
    }
    // 0: help and version are not errors.
    sandbox.sirops(&["--help"]).await.expect_code(0);
    sandbox.plan(&["--help"]).await.expect_code(0);
    sandbox.sirops(&["--version"]).await.expect_code(0);
    // 1: an invalid manifest.
    sandbox.write_manifest("bad", "apiVersion: sirops/v1\nkind: Case\n");
    sandbox.sirops(&["validate"]).await.expect_code(1);
    sandbox.plan(&["--detailed-exitcode"]).await.expect_code(1);
    sandbox.remove_manifest("bad");
    // 1: an invalid sirops.yaml, named with its line, before any call (shaped like the scope test).
    sandbox.write_project("scope: Team_A\n");
    let (run, calls) = sandbox.sirops_calls(&["plan"]).await;
    run.expect_code(1);
    assert!(
        run.stderr.contains("sirops.yaml:1:8: error: `scope`"),
        "{}",
        run.stderr
    );
    assert!(calls.is_empty(), "{calls:?}");
    sandbox.sirops(&["validate"]).await.expect_code(1);
    std::fs::remove_file(sandbox.path().join("sirops.yaml")).unwrap();
    // 1: a case that cannot be planned.
    sandbox.write_manifest(
        "ghost",
        &manifest_with_metadata("ghost", "caseId: \"9999999999\""),
    );
    sandbox.plan(&["--detailed-exitcode"]).await.expect_code(1);
    sandbox.remove_manifest("ghost");
    // 1: apply refused (no terminal, no --auto-approve) with changes to make.
    sandbox.write_case("row", "  status: Detection and Analysis\n");
    sandbox.sirops(&["apply"]).await.expect_code(1);
}

/// A pipe whose reading end is already closed, so the first write to it fails.
fn closed_pipe() -> std::process::Stdio {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer.into()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_pipe_ends_read_only_commands_quietly_but_fails_an_apply() {
    let sandbox = Sandbox::with_manifests(&["piped"]).await;
    for args in [vec!["plan"], vec!["validate"], vec!["schema"]] {
        let status = sandbox
            .sirops_command(&args)
            .stdout(closed_pipe())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(0), "{args:?}");
    }
    let before = sandbox.emulator.stats();
    let output = sandbox
        .sirops_command(&["apply", "--auto-approve"])
        .stdout(closed_pipe())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("nothing was applied"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let writes = sandbox.emulator.stats().operations_since(&before);
    assert!(!writes.contains_key("CreateCase"), "{writes:?}");
}

/// The binary with no credentials of any kind, but everything else a run needs.
fn without_credentials(sandbox: &Sandbox, args: &[&str]) -> std::process::Command {
    let mut command = sandbox.sirops_command(args);
    command
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    command
}

#[tokio::test(flavor = "multi_thread")]
async fn common_failures_are_one_plain_line_with_the_fix() {
    let sandbox = Sandbox::with_manifests(&["plain"]).await;
    let stderr_of = |mut command: std::process::Command| {
        let output = command.output().unwrap();
        assert_eq!(output.status.code(), Some(1));
        String::from_utf8(output.stderr).unwrap()
    };
    let no_credentials = stderr_of(without_credentials(&sandbox, &["plan"]));
    let no_region = stderr_of({
        let mut command = sandbox.sirops_command(&["plan"]);
        command.env_remove("AWS_REGION");
        command
    });
    let unreachable = stderr_of({
        let mut command = sandbox.sirops_command(&["plan", "--max-attempts", "1"]);
        command.env("AWS_ENDPOINT_URL_SECURITY_IR", "http://127.0.0.1:9");
        command
    });
    for (stderr, words) in [
        (&no_credentials, "no AWS credentials found"),
        (&no_region, "no AWS region configured"),
        (
            &unreachable,
            "cannot reach the Security IR endpoint http://127.0.0.1:9",
        ),
    ] {
        assert_eq!(stderr.lines().count(), 1, "one line:\n{stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(stderr.contains(words), "{words}:\n{stderr}");
        for noise in ["DispatchFailure", "Error {", "WARN", "{ source"] {
            assert!(!stderr.contains(noise), "{noise} in:\n{stderr}");
        }
    }
    assert!(no_credentials.contains("--local"), "{no_credentials}");
    // -v shows what happened underneath.
    let verbose = stderr_of({
        let mut command = sandbox.sirops_command(&["-v", "plan", "--max-attempts", "1"]);
        command.env("AWS_ENDPOINT_URL_SECURITY_IR", "http://127.0.0.1:9");
        command
    });
    assert!(verbose.contains("Connection refused"), "{verbose}");
    assert!(verbose.lines().count() > 1, "{verbose}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_case_that_cannot_be_read_does_not_hold_the_others_back() {
    use sirops::emulator::{Emulator, EmulatorConfig};
    // Cases made without faults, then read and changed through a flaky service with no
    // retries: some reads fail, and every case that planned cleanly is still applied.
    let directory = tempfile::tempdir().unwrap();
    let state = directory.path().join("state.json");
    let steady = Sandbox::with_config(EmulatorConfig {
        state_file: Some(state.clone()),
        ..EmulatorConfig::default()
    })
    .await;
    let names: Vec<String> = (0..12).map(|index| format!("flaky-{index:02}")).collect();
    steady.write_plain_manifests(&names);
    steady.apply(&["--write-back"]).await.expect_code(0);
    let ids: BTreeMap<String, String> = names
        .iter()
        .map(|name| (name.clone(), steady.recorded_case_id(name).unwrap()))
        .collect();
    for name in &names {
        steady.write_manifest(
            name,
            &steady
                .read_manifest(name)
                .replace(&format!("Incident {name}"), &format!("Changed {name}")),
        );
    }
    let Sandbox { dir, emulator } = steady;
    emulator.shutdown().await;
    let flaky = Sandbox {
        dir,
        emulator: Emulator::start(EmulatorConfig {
            state_file: Some(state.clone()),
            fault_rate: 0.15,
            seed: 7,
            ..EmulatorConfig::default()
        })
        .await
        .unwrap(),
    };
    // One case at a time, so the seeded faults land on the same requests every run.
    let run = flaky
        .apply(&["--parallelism", "1", "--max-attempts", "1"])
        .await;
    run.expect_code(1);
    let unplanned: Vec<&String> = names
        .iter()
        .filter(|name| {
            run.stdout
                .contains(&format!("# {name} ({}) cannot be planned", ids[*name]))
        })
        .collect();
    let failed: Vec<&String> = names
        .iter()
        .filter(|name| run.stdout.contains(&format!("  {name}: ")))
        .collect();
    assert!(!unplanned.is_empty(), "no read failed:\n{}", run.stdout);
    let checker = flaky.retrying_client(10);
    let mut applied = 0;
    for name in &names {
        let live = checker.get_case().case_id(&ids[name]).send().await.unwrap();
        let changed = live.title() == Some(format!("Changed {name}").as_str());
        if unplanned.contains(&name) {
            assert!(!changed, "{name} was not planned but changed");
        } else if !failed.contains(&name) {
            assert!(
                changed,
                "{name} planned cleanly but was not applied:\n{}",
                run.stdout
            );
            applied += 1;
        }
    }
    assert!(applied > 0, "nothing was applied:\n{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_and_a_prune_of_the_same_case_says_it_looks_like_a_rename() {
    let sandbox = Sandbox::new().await;
    let same_fields = |name: &str| {
        manifest(name, "  impactedServices: [Amazon S3]\n")
            .replace(
                &format!("title: Incident {name}"),
                "title: Payroll phishing",
            )
            .replace(&format!("What happened to {name}."), "Two clerks.")
    };
    sandbox.write_manifest("payroll", &same_fields("payroll"));
    sandbox.apply(&[]).await.expect_code(0);
    sandbox.remove_manifest("payroll");
    sandbox.write_manifest("payroll-phishing", &same_fields("payroll-phishing"));
    let plan = sandbox
        .plan(&["--prune", "--format", "json"])
        .await
        .expect_code(0)
        .json();
    let create = case_named(&plan, "payroll-phishing");
    assert_eq!(create["action"], "create");
    assert!(
        create["notes"][0]
            .as_str()
            .unwrap()
            .contains("looks like a rename of \"payroll\""),
        "{create:#}"
    );
    assert!(
        create["notes"][0]
            .as_str()
            .unwrap()
            .contains("previousNames: [payroll]")
    );
    let orphan = case_named(&plan, "payroll");
    assert_eq!(orphan["action"], "close");
    assert!(
        orphan["notes"].as_array().unwrap().iter().any(|note| note
            .as_str()
            .unwrap()
            .contains("renamed to \"payroll-phishing\"")),
        "{orphan:#}"
    );
    // A different case is not a rename.
    sandbox.write_manifest(
        "payroll-phishing",
        &same_fields("payroll-phishing").replace("Payroll phishing", "Something else"),
    );
    let text = sandbox.plan(&["--prune"]).await.stdout;
    assert!(!text.contains("looks like a rename"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rename_with_previous_names_keeps_the_case_and_its_id() {
    let sandbox = Sandbox::with_manifests(&["payroll"]).await;
    sandbox.apply(&[]).await.expect_code(0);
    let case_id = sandbox.case_ids().await.remove(0);
    sandbox.remove_manifest("payroll");
    sandbox.write_manifest(
        "payroll-phishing",
        &manifest_with_metadata("payroll-phishing", "previousNames: [payroll]"),
    );
    let plan = sandbox
        .plan(&["--prune", "--format", "json"])
        .await
        .expect_code(0)
        .json();
    assert_eq!(plan["cases"].as_array().unwrap().len(), 1, "{plan:#}");
    let case = &plan["cases"][0];
    assert_eq!(case["action"], "update");
    assert_eq!(case["caseId"], case_id.as_str());
    assert_eq!(case["renamedFrom"], "payroll");
    let (run, writes) = sandbox
        .sirops_writes(&["apply", "--prune", "--auto-approve", "--write-back"])
        .await;
    run.expect_code(0);
    assert!(!writes.contains_key("CreateCase") && !writes.contains_key("CloseCase"));
    assert_eq!(sandbox.case_ids().await, std::slice::from_ref(&case_id));
    assert_eq!(
        sandbox.tags_of(&case_id).await["sirops:name"],
        "payroll-phishing"
    );
    assert_eq!(sandbox.recorded_case_id("payroll-phishing"), Some(case_id));
    sandbox
        .plan(&["--prune", "--detailed-exitcode"])
        .await
        .expect_code(0);
}
