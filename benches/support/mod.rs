//! What the benchmarks share: a repository of generated manifests, the edit that changes a
//! tenth of them, `sirops` run against an emulator endpoint, and the integration tests'
//! fixtures, so that both drive the emulator the same way.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[path = "../../tests/suite/support/fixtures.rs"]
pub mod fixtures;

/// A bound-to-be manifest: Self-resolved, in Detection and Analysis, one watcher.
pub fn manifest(name: &str) -> String {
    fixtures::manifest(
        name,
        &format!(
            "  status: Detection and Analysis\n  watchers:\n    - email: {name}@example.com\n"
        ),
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
        std::fs::write(cases.join(format!("{name}.yaml")), manifest(&name)).unwrap();
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
        .envs(fixtures::emulator_env(endpoint))
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    command
}
