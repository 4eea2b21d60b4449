//! `sirops import` end to end: the file names it writes come from valid manifest names only,
//! and it never writes over a file.

use crate::support::{Sandbox, console_case, created, tag_resource, watcher};

/// A case made in the console, tagged by someone as if sirops owned it under `owner`.
async fn case_tagged(sandbox: &Sandbox, owner: &str) -> String {
    let client = sandbox.client();
    let case_id = created(
        console_case(&client, "Made in the console", "Imported by a test.")
            .impacted_accounts("000000000042")
            .watchers(watcher("dana@example.com")),
    )
    .await;
    let arn = sandbox.arn_of(&case_id).await;
    tag_resource(&client, &arn, &[("sirops:name", owner)])
        .await
        .unwrap();
    case_id
}

fn files_in(directory: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tag_that_is_not_a_manifest_name_cannot_choose_the_file() {
    let sandbox = Sandbox::new().await;
    let case_id = case_tagged(&sandbox, "../escape").await;
    sandbox
        .sirops(&["import", &case_id, "--out-dir", "cases"])
        .await
        .expect_code(0);
    assert_eq!(
        files_in(&sandbox.path().join("cases")),
        [format!("case-{case_id}.yaml")]
    );
    assert!(!sandbox.path().join("escape.yaml").exists());
    sandbox.sirops(&["validate"]).await.expect_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_cases_for_one_file_write_nothing_and_one_case_asked_twice_is_written_once() {
    let sandbox = Sandbox::new().await;
    let first = case_tagged(&sandbox, "payroll").await;
    let second = case_tagged(&sandbox, "payroll").await;
    let run = sandbox
        .sirops(&["import", &first, &second, "--out-dir", "cases"])
        .await;
    run.expect_code(1);
    assert!(
        run.stderr.contains(&format!(
            "cases {first} and {second} would both be written to payroll.yaml; nothing was written"
        )),
        "{}",
        run.stderr
    );
    assert!(files_in(&sandbox.path().join("cases")).is_empty());

    sandbox
        .sirops(&["import", &first, &first, "--out-dir", "cases"])
        .await
        .expect_code(0);
    assert_eq!(files_in(&sandbox.path().join("cases")), ["payroll.yaml"]);
    sandbox.sirops(&["validate"]).await.expect_code(0);
}
