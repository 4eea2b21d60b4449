//! What the reconcile benchmarks share: a repository of generated manifests, the edit that
//! changes a tenth of them, and `sirops` run against an emulator endpoint.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A bound-to-be manifest: Self-resolved, in Detection and Analysis, one watcher.
pub fn manifest(name: &str, title: &str) -> String {
    format!(
        "apiVersion: sirops/v1
kind: Case
metadata:
  name: {name}
spec:
  title: {title}
  description: What happened to {name}.
  engagementType: Security Incident
  resolverType: Self
  reportedIncidentStartDate: 2026-11-20T08:00:00Z
  status: Detection and Analysis
  watchers:
    - email: {name}@example.com
"
    )
}

/// The setup run: creates every case and records its id in the manifest, so that the runs
/// measured afterwards see bound cases.
pub const CREATE_AND_BIND: [&str; 5] = [
    "apply",
    "--auto-approve",
    "--write-back",
    "--parallelism",
    "64",
];

fn name(index: usize) -> String {
    format!("case-{index:05}")
}

/// Writes `count` manifests titled "Incident NAME" into `root/cases`, and returns that folder.
pub fn write_manifests(root: &Path, count: usize) -> PathBuf {
    let cases = root.join("cases");
    std::fs::create_dir_all(&cases).unwrap();
    for index in 0..count {
        let name = name(index);
        std::fs::write(
            cases.join(format!("{name}.yaml")),
            manifest(&name, &format!("Incident {name}")),
        )
        .unwrap();
    }
    cases
}

/// Retitles every tenth manifest, so that an apply changes a tenth of the cases.
pub fn retitle_a_tenth(cases: &Path, count: usize) {
    for index in (0..count).step_by(10) {
        let name = name(index);
        let file = cases.join(format!("{name}.yaml"));
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(
            &file,
            text.replace(
                &format!("title: Incident {name}"),
                &format!("title: Renamed {name}"),
            ),
        )
        .unwrap();
    }
}

/// `binary ARGS` in `dir` against `endpoint`, with test credentials and no terminal.
pub fn sirops_command(binary: &Path, dir: &Path, endpoint: &str, args: &[&str]) -> Command {
    let mut command = Command::new(binary);
    command
        .args(args)
        .current_dir(dir)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL_SECURITY_IR", endpoint)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    command
}
