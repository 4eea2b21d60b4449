//! Builders for end-to-end tests: a temporary repository, an emulator on a free port, the
//! `sirops` binary run against it, and the real SDK to look at live state. `sdk` has the
//! emulator's clients and the SDK calls tests repeat, `raw` the exchanges the SDK cannot make,
//! and `fixtures` what the benchmarks build the same way.

#![allow(dead_code)]

mod fixtures;
mod raw;
mod sdk;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use aws_sdk_securityir::Client;
use aws_sdk_securityir::operation::get_case::GetCaseOutput;
use serde_json::Value;
use sirops::emulator::{Emulator, EmulatorConfig, RunningEmulator};

pub use fixtures::*;
pub use raw::*;
pub use sdk::*;

pub const WRITE_OPERATIONS: [&str; 8] = [
    "CreateCase",
    "UpdateCase",
    "UpdateCaseStatus",
    "CloseCase",
    "UpdateResolverType",
    "TagResource",
    "UntagResource",
    "CreateCaseComment",
];

pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub emulator: RunningEmulator,
}

/// Runs git in `directory` as a fixed author; panics with git's message when it fails.
pub fn git(directory: &Path, args: &[&str]) {
    let output = std::process::Command::new("git")
        .current_dir(directory)
        .args([
            "-c",
            "user.name=Tester",
            "-c",
            "user.email=tester@example.com",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Commits everything in the sandbox's repository.
pub fn commit_all(sandbox: &Sandbox, message: &str) {
    git(sandbox.path(), &["add", "-A"]);
    git(sandbox.path(), &["commit", "-q", "-m", message]);
}

/// Output of one `sirops` run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from_output(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("not JSON ({error}):\n{}", self.stdout))
    }
}

impl Sandbox {
    pub async fn new() -> Sandbox {
        Sandbox::with_config(EmulatorConfig::default()).await
    }

    pub async fn with_config(config: EmulatorConfig) -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("cases")).unwrap();
        let emulator = Emulator::start(config).await.unwrap();
        Sandbox { dir, emulator }
    }

    /// A sandbox whose repository holds a plain `manifest` for each name.
    pub async fn with_manifests(names: &[&str]) -> Sandbox {
        let sandbox = Sandbox::new().await;
        sandbox.write_plain_manifests(names);
        sandbox
    }

    /// Writes a plain `manifest` for each name.
    pub fn write_plain_manifests(&self, names: &[impl AsRef<str>]) {
        for name in names {
            self.write_case(name.as_ref(), "");
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn manifest_path(&self, name: &str) -> PathBuf {
        self.dir.path().join("cases").join(format!("{name}.yaml"))
    }

    pub fn write_manifest(&self, name: &str, text: &str) {
        std::fs::write(self.manifest_path(name), text).unwrap();
    }

    pub fn read_manifest(&self, name: &str) -> String {
        std::fs::read_to_string(self.manifest_path(name)).unwrap()
    }

    /// Writes `manifest(name, extra_spec)` as the manifest of `name`.
    pub fn write_case(&self, name: &str, extra_spec: &str) {
        self.write_manifest(name, &manifest(name, extra_spec));
    }

    /// Writes `sirops.yaml` at the repository root.
    pub fn write_project(&self, text: &str) {
        std::fs::write(self.dir.path().join("sirops.yaml"), text).unwrap();
    }

    /// The `metadata.caseId` write-back recorded in a manifest.
    pub fn recorded_case_id(&self, name: &str) -> Option<String> {
        recorded_case_id(&self.read_manifest(name))
    }

    /// A case as it is live, read through the SDK.
    pub async fn live_case(&self, case_id: &str) -> GetCaseOutput {
        get_case(&self.client(), case_id)
            .await
            .expect("GetCase succeeds")
    }

    /// The ARN of a case, read through the SDK.
    pub async fn arn_of(&self, case_id: &str) -> String {
        case_arn(&self.client(), case_id).await
    }

    /// The tags of a case, read through the SDK.
    pub async fn tags_of(&self, case_id: &str) -> BTreeMap<String, String> {
        let arn = self.arn_of(case_id).await;
        let tags = list_tags_for_resource(&self.client(), &arn).await.unwrap();
        tags.tags().clone().into_iter().collect()
    }

    pub fn remove_manifest(&self, name: &str) {
        std::fs::remove_file(self.manifest_path(name)).unwrap();
    }

    /// Runs `sirops ARGS` in the repository against the emulator, with no terminal.
    pub async fn sirops(&self, args: &[&str]) -> Run {
        self.sirops_with_env(args, &[]).await
    }

    /// `sirops apply --auto-approve ARGS`.
    pub async fn apply(&self, args: &[&str]) -> Run {
        self.sirops(&[&["apply", "--auto-approve"], args].concat())
            .await
    }

    /// `sirops plan ARGS`.
    pub async fn plan(&self, args: &[&str]) -> Run {
        self.sirops(&[&["plan"], args].concat()).await
    }

    /// `sirops plan --format json ARGS`.
    pub async fn plan_json(&self, args: &[&str]) -> Run {
        self.sirops(&[&["plan", "--format", "json"], args].concat())
            .await
    }

    /// Like `sirops`, with extra environment variables.
    pub async fn sirops_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        self.sirops_in_with_env(self.dir.path(), args, env).await
    }

    /// `sirops ARGS` run in another directory (another repository) against this emulator.
    pub async fn sirops_in(&self, directory: &Path, args: &[&str]) -> Run {
        self.sirops_in_with_env(directory, args, &[]).await
    }

    async fn sirops_in_with_env(
        &self,
        directory: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Run {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sirops"));
        command
            .args(args)
            .current_dir(directory)
            .env_clear()
            .envs(self.sirops_env())
            .stdin(std::process::Stdio::null());
        command.envs(env.iter().copied());
        Run::from_output(command.output().await.unwrap())
    }

    /// A client signing as `sirops` does, with the SDK's default retries.
    pub fn client(&self) -> Client {
        Client::from_conf(self.client_config().build())
    }

    fn client_config(&self) -> aws_sdk_securityir::config::Builder {
        client_config(&self.emulator.endpoint_url(), "test", "us-east-1")
    }

    /// Write calls made while `work` ran, by operation (zero counts omitted).
    pub async fn writes_during<F: std::future::Future<Output = T>, T>(
        &self,
        work: F,
    ) -> (T, BTreeMap<String, u64>) {
        let (result, calls) = self.calls_during(work).await;
        let writes = calls
            .into_iter()
            .filter(|(operation, _)| WRITE_OPERATIONS.contains(&operation.as_str()))
            .collect();
        (result, writes)
    }

    /// Runs `sirops ARGS`; returns the run and the write calls it made.
    pub async fn sirops_writes(&self, args: &[&str]) -> (Run, BTreeMap<String, u64>) {
        self.writes_during(self.sirops(args)).await
    }

    /// Runs `sirops ARGS`; returns the run and every call it made.
    pub async fn sirops_calls(&self, args: &[&str]) -> (Run, BTreeMap<String, u64>) {
        self.calls_during(self.sirops(args)).await
    }

    /// All calls made while `work` ran, by operation (zero counts omitted).
    pub async fn calls_during<F: std::future::Future<Output = T>, T>(
        &self,
        work: F,
    ) -> (T, BTreeMap<String, u64>) {
        let before = self.emulator.stats();
        let result = work.await;
        let calls = self.emulator.stats().operations_since(&before);
        (result, calls)
    }

    /// The ids of every case in the emulator.
    pub async fn case_ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        let mut pages = self.client().list_cases().into_paginator().send();
        while let Some(page) = pages.next().await {
            ids.extend(
                page.unwrap()
                    .items()
                    .iter()
                    .map(|item| item.case_id().to_string()),
            );
        }
        ids
    }
}

/// The `metadata.caseId` write-back recorded in a manifest's text.
pub fn recorded_case_id(manifest: &str) -> Option<String> {
    manifest
        .lines()
        .find_map(|line| line.trim().strip_prefix("caseId: "))
        .map(|value| value.trim_matches('"').to_string())
}

/// `manifest(name, "")` with one more metadata line, such as `caseId: "1234567890"`.
pub fn manifest_with_metadata(name: &str, metadata: &str) -> String {
    manifest(name, "").replace(
        &format!("  name: {name}\n"),
        &format!("  name: {name}\n  {metadata}\n"),
    )
}

/// A call count map from pairs, to compare with `writes_during` and `calls_during`.
pub fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs
        .iter()
        .map(|(operation, count)| (operation.to_string(), *count))
        .collect()
}

/// Counts of each operation in a plan JSON's requests.
pub fn planned_operations(plan: &Value) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for case in plan["cases"].as_array().unwrap() {
        for request in case["requests"].as_array().unwrap() {
            *counts
                .entry(request["operation"].as_str().unwrap().to_string())
                .or_insert(0) += 1;
        }
    }
    counts
}

/// The environment `Sandbox::sirops` gives the binary, for callers that build their own process.
impl Sandbox {
    pub fn sirops_env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
            ("HOME".into(), self.dir.path().display().to_string()),
        ];
        env.extend(
            emulator_env(&self.emulator.endpoint_url())
                .map(|(name, value)| (name.to_string(), value)),
        );
        env
    }

    /// A blocking `sirops ARGS` command with the same environment as `Sandbox::sirops`, for
    /// tests that must hold the child (to kill it, or to start two at once).
    pub fn sirops_command(&self, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_sirops"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .envs(self.sirops_env())
            .stdin(std::process::Stdio::null());
        command
    }

    /// An SDK client that retries up to `max_attempts` times, for reading through injected faults.
    /// Its backoff is short: it checks the emulator's state, it is not the client under test.
    pub fn retrying_client(&self, max_attempts: u32) -> Client {
        let config = self
            .client_config()
            .retry_config(
                aws_sdk_securityir::config::retry::RetryConfig::standard()
                    .with_max_attempts(max_attempts)
                    .with_initial_backoff(std::time::Duration::from_millis(20))
                    .with_max_backoff(std::time::Duration::from_secs(1)),
            )
            // No retry quota either: behind a rate limit the checks' own reads are throttled
            // too, and must not run out of retries before sirops's work is verified.
            .retry_partition(
                aws_sdk_securityir::config::retry::RetryPartition::custom("sirops-test-reads")
                    .token_bucket(aws_sdk_securityir::config::retry::TokenBucket::unlimited())
                    .build(),
            )
            .build();
        Client::from_conf(config)
    }

    /// Case ids by their `sirops:name` ownership tag, read through `client` (cases without the
    /// tag are left out). More than one id under a name is a duplicate.
    pub async fn owned_cases(&self, client: &Client) -> BTreeMap<String, Vec<String>> {
        let mut items = Vec::new();
        let mut pages = client.list_cases().into_paginator().send();
        while let Some(page) = pages.next().await {
            for item in page.unwrap().items() {
                items.push((
                    item.case_id().to_string(),
                    item.case_arn().unwrap().to_string(),
                ));
            }
        }
        let lookups = items.into_iter().map(|(case_id, arn)| async move {
            let tags = list_tags_for_resource(client, &arn).await.unwrap();
            let name = tags.tags().get("sirops:name").cloned();
            (case_id, name)
        });
        let mut owned: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (case_id, name) in futures::future::join_all(lookups).await {
            if let Some(name) = name {
                owned.entry(name).or_default().push(case_id);
            }
        }
        owned
    }
}

/// Outputs written to a `$GITHUB_OUTPUT` file, in both of its forms (`name=value` and
/// `name<<DELIMITER` ... `DELIMITER`).
pub fn github_outputs(text: &str) -> BTreeMap<String, String> {
    let mut outputs = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let value: Vec<&str> = lines
                .by_ref()
                .take_while(|line| *line != delimiter)
                .collect();
            outputs.insert(name.to_string(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            outputs.insert(name.to_string(), value.to_string());
        }
    }
    outputs
}
