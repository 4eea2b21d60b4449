//! The CI delivery: the GitHub Action at the repository's root, the example workflows that use
//! it, the GitLab example, the release workflow and the cargo-binstall metadata. They agree with
//! the CLI (every command line they run parses), with each other (archive names, targets,
//! version) and with least privilege; the scripts that decide something are run here the way
//! the runner runs them, against the real `sirops` binary where sirops is called.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use clap::Parser;
use serde_yaml::Value;
use sirops::cli::Cli;

use super::docs::{
    ci_example_files, parse_sirops, repository, shell_lines, sirops_invocations, yaml_files_under,
};
use super::support::{git, github_outputs};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const ACTION: &str = "sirops/sirops";
const PLAN_ROLE: &str = "${{ vars.SIROPS_PLAN_ROLE_ARN }}";
const APPLY_ROLE: &str = "${{ vars.SIROPS_APPLY_ROLE_ARN }}";
const RELEASE_TARGETS: [&str; 4] = [
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
];

fn load(relative: &str) -> Value {
    let path = repository().join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_yaml::from_str(&text)
        .unwrap_or_else(|error| panic!("{relative} is not valid YAML: {error}"))
}

fn relative(path: &Path) -> String {
    path.strip_prefix(repository())
        .unwrap()
        .display()
        .to_string()
}

/// Every GitHub Actions workflow, the repository's own and the examples, by relative path.
fn github_workflows() -> Vec<(String, Value)> {
    let mut files = yaml_files_under(&repository().join(".github/workflows"));
    files.extend(yaml_files_under(
        &repository().join("examples/github-actions"),
    ));
    files
        .iter()
        .map(|file| (relative(file), load(&relative(file))))
        .collect()
}

fn example_workflows() -> Vec<(String, Value)> {
    github_workflows()
        .into_iter()
        .filter(|(file, _)| file.starts_with("examples/"))
        .collect()
}

fn action() -> Value {
    load("action.yml")
}

fn jobs(workflow: &Value) -> Vec<(String, &Value)> {
    workflow["jobs"]
        .as_mapping()
        .expect("a workflow has jobs")
        .iter()
        .map(|(name, job)| (name.as_str().unwrap().to_string(), job))
        .collect()
}

fn steps(job: &Value) -> &[Value] {
    job["steps"].as_sequence().map_or(&[], Vec::as_slice)
}

fn step_named<'a>(job: &'a Value, name: &str) -> &'a Value {
    steps(job)
        .iter()
        .find(|step| step["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no step named {name:?}"))
}

fn run_script(step: &Value) -> &str {
    step["run"].as_str().expect("a run step")
}

fn action_step(id: &str) -> Value {
    action()["runs"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|step| step["id"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("the action has no step {id}"))
        .clone()
}

/// The version of the sirops action a step uses, when it uses it.
fn sirops_action_version(step: &Value) -> Option<&str> {
    step["uses"]
        .as_str()?
        .strip_prefix(ACTION)?
        .strip_prefix('@')
}

/// Every step of every job of a workflow, with the job's name.
fn all_steps(workflow: &Value) -> Vec<(String, &Value)> {
    jobs(workflow)
        .into_iter()
        .flat_map(|(name, job)| steps(job).iter().map(move |step| (name.clone(), step)))
        .collect()
}

/// A `with:` input of a step, or the action's default for it.
fn action_input(step: &Value, name: &str) -> String {
    match &step["with"][name] {
        Value::String(value) => value.clone(),
        Value::Bool(value) => value.to_string(),
        Value::Null => action()["inputs"][name]["default"]
            .as_str()
            .unwrap_or_else(|| panic!("the action has no input {name}"))
            .to_string(),
        other => panic!("input {name}: {other:?}"),
    }
}

/// What the action's run step builds from its inputs: the `case` arm of each `command` (the
/// whole sirops command line but for args and paths) and the literal values of the arrays
/// that the arms expand.
struct ActionCommandLines {
    arms: BTreeMap<String, Vec<String>>,
    arrays: BTreeMap<String, Vec<Vec<String>>>,
}

fn action_command_lines() -> ActionCommandLines {
    let run = action_step("run");
    let script = run_script(&run);
    let arm = regex::Regex::new(r"^\s*([a-z]+)\) arguments=\((.*)\) ;;\s*$").unwrap();
    let array = regex::Regex::new(r"\b([a-z_]+)=\(([^)]*)\)").unwrap();
    let mut lines = ActionCommandLines {
        arms: BTreeMap::new(),
        arrays: BTreeMap::new(),
    };
    for line in script.lines() {
        if let Some(found) = arm.captures(line) {
            let words = found[2].split_whitespace().map(str::to_string).collect();
            lines.arms.insert(found[1].to_string(), words);
        } else {
            for found in array.captures_iter(line) {
                lines
                    .arrays
                    .entry(found[1].to_string())
                    .or_default()
                    .push(found[2].split_whitespace().map(str::to_string).collect());
            }
        }
    }
    assert!(
        script.contains(r#"sirops "${arguments[@]}" "${extra[@]}" -- "${paths[@]}""#),
        "the action runs sirops other than with its arm, args and paths:\n{script}"
    );
    lines
}

/// The `sirops` arguments the action runs with: the arm of `command`, `--redact` when
/// `redact` is true, then `args` and `paths` split into words, as its script does.
fn action_arguments(command: &str, redact: bool, args: &str, paths: &str) -> Vec<String> {
    let lines = action_command_lines();
    let arm = lines
        .arms
        .get(command)
        .unwrap_or_else(|| panic!("the action has no command {command}"));
    let mut arguments = Vec::new();
    for word in arm {
        let Some(name) = word
            .strip_prefix("\"${")
            .and_then(|word| word.strip_suffix("[@]}\""))
        else {
            arguments.push(word.clone());
            continue;
        };
        assert_eq!(
            name, "redact",
            "an arm expands {word}, which this test does not model"
        );
        if redact {
            let redacting = lines.arrays[name]
                .iter()
                .find(|value| !value.is_empty())
                .expect("redact=(--redact)");
            arguments.extend(redacting.iter().cloned());
        }
    }
    arguments.extend(args.split_whitespace().map(str::to_string));
    arguments.push("--".to_string());
    arguments.extend(paths.split_whitespace().map(str::to_string));
    arguments
}

/// The arguments of a step that uses the sirops action.
fn action_step_arguments(step: &Value) -> Vec<String> {
    action_arguments(
        &action_input(step, "command"),
        action_input(step, "redact") == "true",
        &action_input(step, "args"),
        &action_input(step, "paths"),
    )
}

/// The permissions a job runs with: its own, or the workflow's. `None` when neither sets any
/// (then the repository's default applies, which may be write-all).
fn permissions(workflow: &Value, job: &Value) -> Option<BTreeMap<String, String>> {
    let declared = if job["permissions"].is_null() {
        &workflow["permissions"]
    } else {
        &job["permissions"]
    };
    match declared {
        Value::Null => None,
        Value::String(all) => Some(BTreeMap::from([("*".to_string(), all.clone())])),
        Value::Mapping(scopes) => Some(
            scopes
                .iter()
                .map(|(scope, level)| {
                    (
                        scope.as_str().unwrap().to_string(),
                        level.as_str().unwrap().to_string(),
                    )
                })
                .collect(),
        ),
        other => panic!("permissions: {other:?}"),
    }
}

fn triggers(workflow: &Value) -> BTreeSet<String> {
    match &workflow["on"] {
        Value::String(event) => BTreeSet::from([event.clone()]),
        Value::Sequence(events) => events
            .iter()
            .map(|event| event.as_str().unwrap().to_string())
            .collect(),
        Value::Mapping(events) => events
            .keys()
            .map(|event| event.as_str().unwrap().to_string())
            .collect(),
        other => panic!("on: {other:?}"),
    }
}

/// The AWS roles a job assumes.
fn roles(job: &Value) -> Vec<String> {
    steps(job)
        .iter()
        .filter(|step| {
            step["uses"]
                .as_str()
                .is_some_and(|uses| uses.starts_with("aws-actions/configure-aws-credentials@"))
        })
        .map(|step| {
            step["with"]["role-to-assume"]
                .as_str()
                .expect("web identity: role-to-assume")
                .to_string()
        })
        .collect()
}

/// One run of a step's script, as the runner runs `shell: bash`.
struct StepRun {
    output: Output,
    outputs: BTreeMap<String, String>,
    path_added: Vec<String>,
    _runner: tempfile::TempDir,
}

impl StepRun {
    fn succeeded(&self) -> bool {
        self.output.status.success()
    }

    fn log(&self) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&self.output.stdout),
            String::from_utf8_lossy(&self.output.stderr)
        )
    }

    fn output(&self, name: &str) -> Option<&str> {
        self.outputs.get(name).map(String::as_str)
    }
}

/// Runs `script` with bash in `directory`, `path` ahead of the `PATH`, and `environment`,
/// with the files and variables a GitHub runner gives a step.
fn run_step_script(
    script: &str,
    directory: &Path,
    path: &[&Path],
    environment: &[(String, String)],
) -> StepRun {
    let runner = tempfile::tempdir().unwrap();
    let file = runner.path().join("step.sh");
    std::fs::write(&file, script).unwrap();
    let github_output = runner.path().join("output");
    let github_path = runner.path().join("path");
    for file in [&github_output, &github_path] {
        std::fs::write(file, "").unwrap();
    }
    let search_path =
        std::env::join_paths(path.iter().map(|directory| directory.to_path_buf()).chain(
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
        ))
        .unwrap();
    let output = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(&file)
        .current_dir(directory)
        .env_clear()
        .env("PATH", search_path)
        .env("HOME", runner.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GITHUB_ACTIONS", "true")
        .env("RUNNER_TEMP", runner.path())
        .env("GITHUB_OUTPUT", &github_output)
        .env("GITHUB_PATH", &github_path)
        .env("GITHUB_STEP_SUMMARY", runner.path().join("summary.md"))
        .envs(environment.iter().map(|(name, value)| (name, value)))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    StepRun {
        output,
        outputs: github_outputs(&std::fs::read_to_string(&github_output).unwrap()),
        path_added: std::fs::read_to_string(&github_path)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect(),
        _runner: runner,
    }
}

/// Runs one step of the action with `inputs` (the others at their defaults) and the values of
/// the other expressions its `env:` uses.
fn run_action_step(
    id: &str,
    inputs: &[(&str, &str)],
    expressions: &[(&str, &str)],
    directory: &Path,
    path: &[&Path],
    environment: &[(&str, &str)],
) -> StepRun {
    let step = action_step(id);
    let mut known: BTreeMap<String, String> = BTreeMap::new();
    for (name, input) in action()["inputs"].as_mapping().unwrap() {
        let default = input["default"].as_str().unwrap_or("");
        let value = if default.contains("${{") { "" } else { default };
        known.insert(
            format!("inputs.{}", name.as_str().unwrap()),
            value.to_string(),
        );
    }
    for (name, value) in inputs {
        assert!(
            known.contains_key(&format!("inputs.{name}")),
            "no input {name}"
        );
        known.insert(format!("inputs.{name}"), (*value).to_string());
    }
    for (expression, value) in expressions {
        known.insert((*expression).to_string(), (*value).to_string());
    }
    let expression = regex::Regex::new(r"^\$\{\{\s*(.+?)\s*\}\}$").unwrap();
    let mut env: Vec<(String, String)> = step["env"]
        .as_mapping()
        .into_iter()
        .flatten()
        .map(|(name, value)| {
            let value = value.as_str().unwrap();
            let value = match expression.captures(value) {
                Some(found) => known
                    .get(&found[1])
                    .unwrap_or_else(|| panic!("step {id}: no value for {value}"))
                    .clone(),
                None => value.to_string(),
            };
            (name.as_str().unwrap().to_string(), value)
        })
        .collect();
    env.extend(
        environment
            .iter()
            .map(|(name, value)| ((*name).to_string(), (*value).to_string())),
    );
    run_step_script(run_script(&step), directory, path, &env)
}

/// A copy of the repository's project file, example cases and schemas: what `--local` plans.
fn manifests_copy() -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(
        repository().join("sirops.yaml"),
        copy.path().join("sirops.yaml"),
    )
    .unwrap();
    for directory in ["cases", "schemas"] {
        std::fs::create_dir_all(copy.path().join(directory)).unwrap();
        for entry in std::fs::read_dir(repository().join(directory)).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(
                &path,
                copy.path().join(directory).join(path.file_name().unwrap()),
            )
            .unwrap();
        }
    }
    copy
}

/// A directory with `sirops` in it, as the install step leaves one.
fn installed_sirops() -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_sirops"),
        directory.path().join("sirops"),
    )
    .unwrap();
    directory
}

fn case_count(directory: &Path) -> usize {
    std::fs::read_dir(directory.join("cases"))
        .unwrap()
        .filter(|entry| {
            entry
                .as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|extension| extension == "yaml")
        })
        .count()
}

#[test]
fn ci_examples_parse_and_run_only_real_sirops_commands() {
    let mut files = ci_example_files();
    files.extend(yaml_files_under(&repository().join(".github/workflows")));
    assert!(
        files.len() >= 5,
        "expected the GitHub and GitLab examples and the release workflow, found {files:?}"
    );
    let mut subcommands = BTreeSet::new();
    for file in &files {
        let name = relative(file);
        let document = load(&name);
        let mut lines = Vec::new();
        shell_lines(&document, &mut lines);
        let mut invocations: Vec<Vec<String>> = lines
            .iter()
            .flat_map(|line| sirops_invocations(line))
            .collect();
        if document["jobs"].is_mapping() {
            invocations.extend(
                all_steps(&document)
                    .into_iter()
                    .filter(|(_, step)| sirops_action_version(step).is_some())
                    .map(|(_, step)| action_step_arguments(step)),
            );
        }
        assert!(
            name.starts_with(".github/") || !invocations.is_empty(),
            "{name} runs no sirops command"
        );
        for arguments in invocations {
            if arguments == ["--version"] {
                assert!(
                    Cli::try_parse_from(["sirops", "--version"]).is_err_and(|error| {
                        error.kind() == clap::error::ErrorKind::DisplayVersion
                    })
                );
                continue;
            }
            parse_sirops(&name, &arguments);
            subcommands.insert(arguments[0].clone());
        }
    }
    for needed in ["validate", "plan", "apply"] {
        assert!(
            subcommands.contains(needed),
            "no example runs `sirops {needed}`"
        );
    }
}

#[test]
fn the_apply_workflow_records_case_ids_with_web_identity_credentials() {
    let workflow = load("examples/github-actions/sirops-apply.yml");
    let text =
        std::fs::read_to_string(repository().join("examples/github-actions/sirops-apply.yml"))
            .unwrap();
    assert!(!text.contains("aws-access-key-id"), "no long-lived keys");
    assert_eq!(
        permissions(&workflow, &workflow["jobs"]["apply"])
            .and_then(|scopes| scopes.get("id-token").cloned()),
        Some("write".to_string())
    );
    let apply = all_steps(&workflow)
        .into_iter()
        .find(|(_, step)| sirops_action_version(step).is_some())
        .expect("the apply workflow uses the action")
        .1;
    let arguments = action_step_arguments(apply);
    let matches = parse_sirops("sirops-apply.yml", &arguments);
    let (subcommand, apply_matches) = matches.subcommand().unwrap();
    assert_eq!(subcommand, "apply");
    for flag in ["auto_approve", "write_back", "comment"] {
        assert!(apply_matches.get_flag(flag), "apply without --{flag}");
    }
}

/// Each `command` of the action is a real sirops command line, with and without `--redact`;
/// plan and drift let exit 2 (changes) through, drift plans only edits made outside git, and
/// apply needs no terminal.
#[test]
fn the_action_runs_each_command_as_a_real_sirops_command_line() {
    let lines = action_command_lines();
    let commands: BTreeSet<&str> = lines.arms.keys().map(String::as_str).collect();
    assert_eq!(
        commands,
        BTreeSet::from(["apply", "drift", "plan", "validate"])
    );
    for command in &commands {
        for redact in [false, true] {
            let arguments = action_arguments(command, redact, "", "");
            let matches = parse_sirops(&format!("action.yml command {command}"), &arguments);
            let (subcommand, flags) = matches.subcommand().unwrap();
            let flag = |name: &str| flags.try_get_one::<bool>(name).ok().flatten() == Some(&true);
            match *command {
                "plan" | "drift" => {
                    assert_eq!(subcommand, "plan");
                    assert!(flag("detailed_exitcode"), "{command}: exit 2 would fail");
                    assert_eq!(flag("drift"), *command == "drift");
                }
                "apply" => assert!(flag("auto_approve"), "apply would wait for a terminal"),
                _ => assert_eq!(subcommand, "validate"),
            }
            if *command != "validate" {
                assert_eq!(flag("redact"), redact, "{command} with redact={redact}");
            }
        }
    }
    // The extra arguments and paths go where the CLI takes them.
    let arguments = action_arguments(
        "plan",
        true,
        "--prune --out plan.json",
        "cases/a.yaml cases/b",
    );
    let matches = parse_sirops("action.yml with args and paths", &arguments);
    let plan = matches.subcommand().unwrap().1;
    assert!(plan.get_flag("prune"));
    assert_eq!(
        plan.get_many::<PathBuf>("paths")
            .map(|paths| paths.cloned().collect::<Vec<_>>()),
        Some(vec![
            PathBuf::from("cases/a.yaml"),
            PathBuf::from("cases/b")
        ])
    );
}

/// The action's inputs and their defaults, and every output it promises mapped from a step
/// that exists. `version` defaults to the release the action is published with.
#[test]
fn the_action_declares_its_inputs_and_maps_every_output() {
    let action = action();
    assert_eq!(action["runs"]["using"], "composite");
    let default = |input: &str| {
        action["inputs"][input]["default"]
            .as_str()
            .unwrap_or_else(|| panic!("input {input} has no default"))
            .to_string()
    };
    assert_eq!(
        default("version"),
        VERSION,
        "the action installs another release than its own"
    );
    assert_eq!(default("paths"), "");
    assert_eq!(default("args"), "");
    assert_eq!(default("redact"), "true");
    assert_eq!(default("comment-on-pr"), "true");
    assert_eq!(default("verify-provenance"), "false");
    assert_eq!(default("github-token"), "${{ github.token }}");
    assert_eq!(default("command"), "plan");

    let step_ids: BTreeSet<String> = action["runs"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|step| step["id"].as_str().map(str::to_string))
        .collect();
    let reference =
        regex::Regex::new(r"^\$\{\{ steps\.([a-z-]+)\.outputs\.([a-z-]+) \}\}$").unwrap();
    let promised = [
        "exit-code",
        "has-changes",
        "has-drift",
        "create-count",
        "adopt-count",
        "update-count",
        "close-count",
        "no-change-count",
        "error-count",
        "prune-count",
        "plan-file",
        "applied-count",
        "failed-count",
        "created-count",
        "report-file",
        "comment-id",
    ];
    for output in promised {
        let value = action["outputs"][output]["value"]
            .as_str()
            .unwrap_or_else(|| panic!("the action has no output {output}"));
        let found = reference
            .captures(value)
            .unwrap_or_else(|| panic!("output {output} = {value}"));
        assert!(
            step_ids.contains(&found[1]),
            "output {output} names step {}",
            &found[1]
        );
        assert_eq!(&found[2], output, "output {output} passes on another one");
    }
}

/// The sticky comment: only for plan on a pull request when asked, also after a failed plan,
/// found again by its hidden marker and updated rather than added.
#[test]
fn the_action_keeps_one_sticky_plan_comment() {
    let step = action_step("comment");
    let condition = step["if"].as_str().unwrap();
    for needed in [
        "always()",
        "inputs.command == 'plan'",
        "inputs.comment-on-pr == 'true'",
        "github.event_name == 'pull_request'",
    ] {
        assert!(
            condition.contains(needed),
            "the comment's condition lacks {needed}: {condition}"
        );
    }
    assert!(
        step["uses"]
            .as_str()
            .unwrap()
            .starts_with("actions/github-script@")
    );
    assert_eq!(step["with"]["github-token"], "${{ inputs.github-token }}");
    let script = step["with"]["script"].as_str().unwrap();
    for needed in [
        "<!-- sirops-plan",
        "startsWith(`${marker}\\n`)",
        "updateComment",
        "createComment",
        "github.paginate",
        "core.setOutput('comment-id'",
        "process.env.SIROPS_MARKDOWN_FILE",
    ] {
        assert!(script.contains(needed), "the comment script lacks {needed}");
    }
}

/// The release's own packaging steps build an archive and its SHA256SUMS; the action's install
/// step downloads exactly that archive's URL, installs it, reuses it from the tool cache, and
/// refuses a download whose checksum does not match (or that SHA256SUMS does not list).
#[test]
fn the_action_installs_the_release_archive_only_when_its_checksum_matches() {
    let work = tempfile::tempdir().unwrap();
    let target = "x86_64-unknown-linux-musl";
    let dist = package_release(work.path(), target);
    let fake = fake_curl(work.path());
    let curl_log = work.path().join("curl.log");
    let install = |release: &Path, tool_cache: &Path, os: &str, arch: &str| {
        run_action_step(
            "install",
            &[],
            &[],
            work.path(),
            &[fake.as_path()],
            &[
                ("RUNNER_OS", os),
                ("RUNNER_ARCH", arch),
                ("RUNNER_TOOL_CACHE", tool_cache.to_str().unwrap()),
                ("FAKE_RELEASE", release.to_str().unwrap()),
                ("CURL_LOG", curl_log.to_str().unwrap()),
            ],
        )
    };

    let tool_cache = work.path().join("tool-cache");
    let run = install(&dist, &tool_cache, "Linux", "X64");
    assert!(run.succeeded(), "{}", run.log());
    assert!(
        run.log().contains("fake sirops"),
        "installed sirops did not run: {}",
        run.log()
    );
    let directory = PathBuf::from(run.output("directory").expect("directory output"));
    assert!(
        directory.starts_with(&tool_cache),
        "{}",
        directory.display()
    );
    assert_eq!(run.path_added, [directory.display().to_string()]);
    let release = format!("https://github.com/{ACTION}/releases/download/v{VERSION}");
    assert_eq!(
        std::fs::read_to_string(&curl_log)
            .unwrap()
            .lines()
            .collect::<Vec<_>>(),
        [
            format!("{release}/sirops-v{VERSION}-{target}.tar.gz"),
            format!("{release}/SHA256SUMS"),
        ]
    );

    let nothing = work.path().join("unreachable");
    std::fs::create_dir(&nothing).unwrap();
    let again = install(&nothing, &tool_cache, "Linux", "X64");
    assert!(
        again.succeeded(),
        "a cached install downloads again: {}",
        again.log()
    );

    let tampered = work.path().join("tampered");
    std::fs::create_dir(&tampered).unwrap();
    let archive = format!("sirops-v{VERSION}-{target}.tar.gz");
    std::fs::copy(dist.join(&archive), tampered.join(&archive)).unwrap();
    std::fs::write(
        tampered.join("SHA256SUMS"),
        format!("{}  {archive}\n", "0".repeat(64)),
    )
    .unwrap();
    let fresh_cache = work.path().join("fresh-cache");
    let refused = install(&tampered, &fresh_cache, "Linux", "X64");
    assert!(!refused.succeeded(), "a mismatched archive was installed");
    assert!(
        refused.log().contains("checksum mismatch"),
        "{}",
        refused.log()
    );
    assert!(
        !fresh_cache.exists() || files_in(&fresh_cache).is_empty(),
        "something was installed: {:?}",
        files_in(&fresh_cache)
    );

    std::fs::write(tampered.join("SHA256SUMS"), "").unwrap();
    let unlisted = install(&tampered, &fresh_cache, "Linux", "X64");
    assert!(!unlisted.succeeded());
    assert!(
        unlisted.log().contains(&format!("lists no {archive}")),
        "{}",
        unlisted.log()
    );

    let windows = install(&dist, &fresh_cache, "Windows", "X64");
    assert!(!windows.succeeded());
    assert!(
        windows
            .log()
            .contains("no sirops release is built for Windows X64"),
        "{}",
        windows.log()
    );
}

/// Every file under `root`, recursively.
fn files_in(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(directory) = pending.pop() {
        for entry in std::fs::read_dir(&directory).into_iter().flatten() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// A `curl` that serves `--output FILE URL` from `$FAKE_RELEASE` by the URL's last segment and
/// logs each URL to `$CURL_LOG`; a file that is not there is a 404.
fn fake_curl(work: &Path) -> PathBuf {
    let bin = work.join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let curl = bin.join("curl");
    std::fs::write(
        &curl,
        r#"#!/bin/sh
output=""
url=""
while [ $# -gt 0 ]; do
  case "$1" in
    --output) output="$2"; shift 2 ;;
    -*) shift ;;
    *) url="$1"; shift ;;
  esac
done
echo "$url" >> "$CURL_LOG"
cp "$FAKE_RELEASE/${url##*/}" "$output" 2> /dev/null || { echo "curl: (22) 404 $url" >&2; exit 22; }
"#,
    )
    .unwrap();
    make_executable(&curl);
    bin
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Runs the release workflow's Archive and SHA256SUMS steps for `target` on a stand-in
/// binary; returns the directory with the archive and SHA256SUMS, as the release has them.
fn package_release(work: &Path, target: &str) -> PathBuf {
    let workflow = load(".github/workflows/release.yml");
    let build = &workflow["jobs"]["build"];
    let checkout = work.join("checkout");
    let binary = checkout.join(format!("target/{target}/release/sirops"));
    std::fs::create_dir_all(binary.parent().unwrap()).unwrap();
    std::fs::write(&binary, "#!/bin/sh\necho \"fake sirops $*\"\n").unwrap();
    make_executable(&binary);
    std::fs::write(checkout.join("README.md"), "# sirops\n").unwrap();
    let archive_dir = release_archive_dir(target);
    let archive = run_step_script(
        run_script(step_named(build, "Archive")),
        &checkout,
        &[],
        &[
            ("TARGET".to_string(), target.to_string()),
            ("ARCHIVE_DIR".to_string(), archive_dir.clone()),
        ],
    );
    assert!(archive.succeeded(), "{}", archive.log());

    let dist = work.join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    let name = format!("{archive_dir}.tar.gz");
    std::fs::rename(checkout.join(&name), dist.join(&name)).unwrap();
    let release = &workflow["jobs"]["release"];
    let sums = step_named(release, "SHA256SUMS");
    assert_eq!(sums["working-directory"], "dist");
    let summed = run_step_script(run_script(sums), &dist, &[], &[]);
    assert!(summed.succeeded(), "{}", summed.log());
    dist
}

/// The release's archive directory (and name, less `.tar.gz`) for `target`, from the build
/// job's `ARCHIVE_DIR`.
fn release_archive_dir(target: &str) -> String {
    let workflow = load(".github/workflows/release.yml");
    let template = workflow["jobs"]["build"]["env"]["ARCHIVE_DIR"]
        .as_str()
        .expect("the build job names its archive in ARCHIVE_DIR")
        .replace("${{ needs.version.outputs.version }}", VERSION)
        .replace("${{ matrix.target }}", target);
    assert!(!template.contains("${{"), "ARCHIVE_DIR: {template}");
    template
}

/// The action's run step against the real binary and the embedded emulator: exit 2 of plan is
/// a success with exit-code 2, failures fail the step, args are words and never shell code.
#[test]
fn the_action_runs_sirops_and_passes_only_failures_on() {
    let copy = manifests_copy();
    let bin = installed_sirops();
    let bin_path = bin.path().to_str().unwrap();
    let run = |inputs: &[(&str, &str)]| {
        run_action_step(
            "run",
            inputs,
            &[("steps.install.outputs.directory", bin_path)],
            copy.path(),
            &[],
            &[],
        )
    };

    let validated = run(&[("command", "validate")]);
    assert!(validated.succeeded(), "{}", validated.log());
    assert_eq!(validated.output("exit-code"), Some("0"));
    assert_eq!(validated.output("markdown-file"), None);

    let planned = run(&[("command", "plan"), ("args", "--local")]);
    assert!(
        planned.succeeded(),
        "exit 2 failed the step: {}",
        planned.log()
    );
    assert_eq!(planned.output("exit-code"), Some("2"));
    let markdown =
        std::fs::read_to_string(planned.output("markdown-file").expect("markdown-file")).unwrap();
    assert!(markdown.starts_with("**sirops plan:**"), "{markdown}");
    let log = planned.log();
    let guard = log
        .find("::stop-commands::")
        .unwrap_or_else(|| panic!("the Markdown in the log is not guarded: {log}"));
    let token = log[guard + "::stop-commands::".len()..]
        .lines()
        .next()
        .unwrap();
    let resumed = log
        .find(&format!("::{token}::"))
        .expect("commands resume after the plan");
    assert!(
        log[guard..resumed].contains("**sirops plan:**"),
        "the plan is shown between the markers: {log}"
    );
    assert!(
        markdown.contains("redacted"),
        "redact defaults to true: {markdown}"
    );

    let injected = run(&[
        ("command", "plan"),
        ("args", "--local $(touch injected) `touch injected`"),
        ("paths", "*"),
    ]);
    assert!(!injected.succeeded(), "sirops took shell code as arguments");
    assert!(
        !copy.path().join("injected").exists(),
        "the args input ran as shell code"
    );

    let applied = run(&[("command", "apply"), ("args", "--local --write-back")]);
    assert!(applied.succeeded(), "{}", applied.log());
    assert_eq!(applied.output("exit-code"), Some("0"));
    let recorded = std::fs::read_dir(copy.path().join("cases"))
        .unwrap()
        .filter(|entry| {
            std::fs::read_to_string(entry.as_ref().unwrap().path())
                .unwrap()
                .contains("caseId:")
        })
        .count();
    assert_eq!(
        recorded,
        case_count(copy.path()),
        "--write-back did not reach sirops"
    );

    let drift = run(&[("command", "drift"), ("args", "--local")]);
    assert!(drift.succeeded(), "{}", drift.log());
    assert_eq!(drift.output("exit-code"), Some("0"));

    std::fs::write(copy.path().join("cases/broken.yaml"), "apiVersion: [\n").unwrap();
    for command in ["validate", "plan"] {
        let failed = run(&[("command", command), ("args", "--local")]);
        assert!(
            !failed.succeeded(),
            "{command} of an invalid manifest passed"
        );
        assert_eq!(failed.output("exit-code"), Some("1"), "{command}");
    }
    let failed_plan = run(&[("command", "plan"), ("args", "--local")]);
    assert!(
        failed_plan.output("markdown-file").is_some(),
        "the sticky comment cannot say that the plan failed"
    );

    let unknown = run(&[("command", "destroy")]);
    assert!(!unknown.succeeded());
    assert!(
        unknown.log().contains("input command must be"),
        "{}",
        unknown.log()
    );
}

/// What the action's outputs rest on: sirops, run by the action in GitHub Actions, writes the
/// plan's counts and files to the step's `$GITHUB_OUTPUT`.
#[test]
fn the_action_outputs_the_counts_sirops_writes_in_github_actions() {
    let copy = manifests_copy();
    let bin = installed_sirops();
    let bin_path = bin.path().to_str().unwrap();
    let cases = case_count(copy.path()).to_string();
    let run = |inputs: &[(&str, &str)]| {
        run_action_step(
            "run",
            inputs,
            &[("steps.install.outputs.directory", bin_path)],
            copy.path(),
            &[],
            &[],
        )
    };
    let planned = run(&[("command", "plan"), ("args", "--local")]);
    assert!(planned.succeeded(), "{}", planned.log());
    assert_eq!(
        planned.output("has-changes"),
        Some("true"),
        "{:?}",
        planned.outputs
    );
    assert_eq!(planned.output("create-count"), Some(cases.as_str()));
    assert_eq!(planned.output("error-count"), Some("0"));
    assert_eq!(planned.output("plan-file"), Some(""));

    let applied = run(&[
        ("command", "apply"),
        ("args", "--local --write-back --report apply-report.json"),
    ]);
    assert!(applied.succeeded(), "{}", applied.log());
    assert_eq!(
        applied.output("applied-count"),
        Some(cases.as_str()),
        "{:?}",
        applied.outputs
    );
    assert_eq!(applied.output("created-count"), Some(cases.as_str()));
    assert_eq!(applied.output("failed-count"), Some("0"));
    assert_eq!(applied.output("report-file"), Some("apply-report.json"));
    assert!(copy.path().join("apply-report.json").exists());
}

/// The examples use the released action at the version of this repository, never the checked
/// out copy of it; the pull-request workflow runs nothing of the branch, reads with the plan
/// role and cannot write contents; apply uses the apply role, one run at a time, and keeps its
/// report; drift reads with the plan role.
#[test]
fn example_workflows_use_the_released_action_with_least_privilege() {
    let mut local_uses = Vec::new();
    for (file, workflow) in github_workflows() {
        for (_, step) in all_steps(&workflow) {
            if let Some(uses) = step["uses"].as_str()
                && uses.starts_with('.')
            {
                local_uses.push(format!("{file}: {uses}"));
            }
        }
    }
    assert!(
        local_uses.is_empty(),
        "a local action runs the checked-out branch's code with the job's credentials: {local_uses:?}"
    );

    let mut kinds = BTreeSet::new();
    for (file, workflow) in example_workflows() {
        let events = triggers(&workflow);
        let mut used = 0;
        for (job_name, job) in jobs(&workflow) {
            let place = format!("{file} job {job_name}");
            let commands: Vec<String> = steps(job)
                .iter()
                .filter(|step| sirops_action_version(step).is_some())
                .map(|step| action_input(step, "command"))
                .collect();
            for step in steps(job) {
                if let Some(version) = sirops_action_version(step) {
                    assert_eq!(
                        version,
                        format!("v{VERSION}"),
                        "{place}: the action's version"
                    );
                    used += 1;
                }
                if let Some(script) = step["run"].as_str() {
                    assert!(
                        !script.contains("cargo "),
                        "{place} compiles sirops: {script}"
                    );
                }
            }
            let granted = permissions(&workflow, job)
                .unwrap_or_else(|| panic!("{place}: no permissions, so the repository's default"));
            let roles = roles(job);
            if commands.iter().any(|command| command == "apply") {
                kinds.insert("apply");
                assert_eq!(roles, [APPLY_ROLE], "{place}");
                assert!(
                    events.contains("push") && !events.contains("pull_request"),
                    "{place}"
                );
                let concurrency = &workflow["concurrency"];
                assert_eq!(
                    concurrency["cancel-in-progress"].as_bool(),
                    Some(false),
                    "{place}"
                );
                assert!(
                    concurrency["group"].is_string(),
                    "{place}: no concurrency group"
                );
                check_apply_job(&place, job);
            } else {
                assert!(
                    roles.iter().all(|role| role == PLAN_ROLE),
                    "{place} reads with {roles:?}, not the plan role"
                );
                assert_ne!(
                    granted.get("contents").map(String::as_str),
                    Some("write"),
                    "{place}"
                );
                assert!(!granted.contains_key("*"), "{place}: {granted:?}");
            }
            if events.contains("pull_request") || events.contains("pull_request_target") {
                kinds.insert("plan");
                assert_eq!(roles, [PLAN_ROLE], "{place}");
                assert_eq!(
                    granted,
                    BTreeMap::from([
                        ("contents".to_string(), "read".to_string()),
                        ("id-token".to_string(), "write".to_string()),
                        ("pull-requests".to_string(), "write".to_string()),
                    ]),
                    "{place}"
                );
                assert!(
                    commands.contains(&"validate".to_string()),
                    "{place}: no validate"
                );
                assert!(commands.contains(&"plan".to_string()), "{place}: no plan");
                for step in steps(job) {
                    assert!(
                        step["run"].is_null(),
                        "{place}: a step runs a script of the branch"
                    );
                    let uses = step["uses"].as_str().unwrap_or("");
                    assert!(
                        uses.contains('@'),
                        "{place}: {uses} is not a pinned remote action"
                    );
                    if uses.starts_with("actions/checkout@") {
                        assert_eq!(step["with"]["fetch-depth"].as_u64(), Some(0), "{place}");
                    }
                }
            }
            if commands.iter().any(|command| command == "drift") {
                kinds.insert("drift");
                assert_eq!(roles, [PLAN_ROLE], "{place}");
                assert!(events.contains("schedule"), "{place}");
            }
        }
        assert!(used > 0, "{file} does not use the sirops action");
    }
    assert_eq!(kinds, BTreeSet::from(["apply", "drift", "plan"]));
}

/// The apply job records ids with --write-back and keeps the --report file as an artifact,
/// whatever happened to apply.
fn check_apply_job(place: &str, job: &Value) {
    let apply = steps(job)
        .iter()
        .find(|step| sirops_action_version(step).is_some())
        .unwrap();
    let arguments = action_step_arguments(apply);
    let matches = parse_sirops(place, &arguments);
    let flags = matches.subcommand().unwrap().1;
    assert!(flags.get_flag("write_back"), "{place}: no --write-back");
    assert!(flags.get_flag("comment"), "{place}: no --comment");
    let report = arguments
        .iter()
        .position(|argument| argument == "--report")
        .map_or_else(
            || panic!("{place}: no --report"),
            |index| arguments[index + 1].clone(),
        );
    let upload = steps(job)
        .iter()
        .find(|step| {
            step["uses"]
                .as_str()
                .is_some_and(|uses| uses.starts_with("actions/upload-artifact@"))
        })
        .unwrap_or_else(|| panic!("{place}: the apply report is not kept"));
    assert_eq!(
        upload["with"]["path"].as_str(),
        Some(report.as_str()),
        "{place}"
    );
    assert!(
        upload["if"].as_str().unwrap_or("").contains("always()"),
        "{place}: a failed apply's report is the one most wanted"
    );
    let commit = step_named(job, "Commit recorded case ids");
    assert!(
        commit["if"].as_str().unwrap_or("").contains("always()"),
        "{place}: the ids of cases a failed apply created are lost"
    );
}

/// Runs the apply workflow's commit step in a clone of `origin`.
fn commit_recorded_ids(clone: &Path) -> StepRun {
    let workflow = load("examples/github-actions/sirops-apply.yml");
    let step = step_named(&workflow["jobs"]["apply"], "Commit recorded case ids");
    run_step_script(
        run_script(step),
        clone,
        &[],
        &[("GITHUB_REF_NAME".to_string(), "main".to_string())],
    )
}

fn git_output(directory: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(directory)
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// The recorded ids reach main even when main moved during the apply: the step rebases and
/// pushes again. A conflict fails the step clearly and leaves main as it was.
#[test]
fn the_apply_workflow_pushes_recorded_ids_rebasing_when_main_moved() {
    let work = tempfile::tempdir().unwrap();
    let origin = work.path().join("origin.git");
    let runner = work.path().join("runner");
    let other = work.path().join("other");
    std::fs::create_dir_all(runner.join("cases")).unwrap();
    git(
        work.path(),
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            origin.to_str().unwrap(),
        ],
    );
    git(&runner, &["init", "-q", "-b", "main"]);
    std::fs::write(runner.join("cases/a.yaml"), "metadata:\n  name: a\n").unwrap();
    std::fs::write(runner.join("cases/b.yaml"), "metadata:\n  name: b\n").unwrap();
    git(&runner, &["add", "-A"]);
    git(&runner, &["commit", "-q", "-m", "cases"]);
    git(
        &runner,
        &["remote", "add", "origin", origin.to_str().unwrap()],
    );
    git(&runner, &["push", "-q", "origin", "main"]);
    git(
        work.path(),
        &[
            "clone",
            "-q",
            origin.to_str().unwrap(),
            other.to_str().unwrap(),
        ],
    );

    let untouched = commit_recorded_ids(&runner);
    assert!(untouched.succeeded(), "{}", untouched.log());
    assert_eq!(git_output(&origin, &["rev-list", "--count", "main"]), "1");

    // Someone merges while apply runs; apply then records a's id.
    std::fs::write(
        other.join("cases/b.yaml"),
        "metadata:\n  name: b\n  # reviewed\n",
    )
    .unwrap();
    git(&other, &["commit", "-q", "-am", "b reviewed"]);
    git(&other, &["push", "-q", "origin", "main"]);
    let moved = git_output(&origin, &["rev-parse", "main"]);
    std::fs::write(
        runner.join("cases/a.yaml"),
        "metadata:\n  name: a\n  caseId: \"1234567890\"\n",
    )
    .unwrap();
    let rebased = commit_recorded_ids(&runner);
    assert!(rebased.succeeded(), "{}", rebased.log());
    assert_eq!(
        git_output(&origin, &["rev-parse", "main^"]),
        moved,
        "main's commit was lost"
    );
    assert!(
        git_output(&origin, &["log", "-1", "--format=%s", "main"]).contains("[skip ci]"),
        "the recorded ids' commit starts another run"
    );
    assert!(git_output(&origin, &["show", "main:cases/a.yaml"]).contains("caseId"));

    // A newer commit changes the very line apply recorded: nothing is forced.
    git(&other, &["pull", "-q", "--rebase", "origin", "main"]);
    std::fs::write(
        other.join("cases/a.yaml"),
        "metadata:\n  name: a\n  caseId: \"5555555555\"\n",
    )
    .unwrap();
    git(&other, &["commit", "-q", "-am", "a rebound by hand"]);
    git(&other, &["push", "-q", "origin", "main"]);
    let theirs = git_output(&origin, &["rev-parse", "main"]);
    std::fs::write(
        runner.join("cases/a.yaml"),
        "metadata:\n  name: a\n  caseId: \"9999999999\"\n",
    )
    .unwrap();
    let conflicted = commit_recorded_ids(&runner);
    assert!(!conflicted.succeeded(), "a conflict was pushed over");
    assert!(
        conflicted.log().contains("conflict with a newer commit"),
        "{}",
        conflicted.log()
    );
    assert_eq!(git_output(&origin, &["rev-parse", "main"]), theirs);
    assert!(
        !runner.join(".git/rebase-merge").exists() && !runner.join(".git/rebase-apply").exists(),
        "the failed rebase was left in progress"
    );
}

/// A `${{ }}` expression inside a script is pasted into it as code: a branch name, a title or
/// an input could run commands. Every script takes such values from `env:` instead.
#[test]
fn no_expression_is_interpolated_into_a_script() {
    let mut files = github_workflows();
    files.push(("action.yml".to_string(), action()));
    let mut found = Vec::new();
    for (file, document) in &files {
        let steps: Vec<&Value> = if file == "action.yml" {
            document["runs"]["steps"]
                .as_sequence()
                .unwrap()
                .iter()
                .collect()
        } else {
            all_steps(document)
                .into_iter()
                .map(|(_, step)| step)
                .collect()
        };
        for step in steps {
            let script = step["run"].as_str().or_else(|| {
                step["uses"]
                    .as_str()
                    .filter(|uses| uses.starts_with("actions/github-script@"))
                    .and_then(|_| step["with"]["script"].as_str())
            });
            if let Some(script) = script
                && script.contains("${{")
            {
                found.push(format!(
                    "{file}: step {:?}",
                    step["name"].as_str().unwrap_or("?")
                ));
            }
        }
    }
    assert!(found.is_empty(), "expressions inside scripts: {found:?}");
}

/// The release: on a `v*` tag equal to Cargo.toml's version, the four targets built on the
/// runners that can build them, archived, summed and attested; a release with the archives and
/// SHA256SUMS; an image with its own attestation. Write permissions only where needed.
#[test]
fn the_release_workflow_builds_the_four_targets_and_attests_them() {
    let workflow = load(".github/workflows/release.yml");
    assert_eq!(
        workflow["on"]["push"]["tags"].as_sequence().unwrap(),
        &[Value::from("v*")]
    );
    assert_eq!(
        workflow["permissions"],
        Value::Mapping(serde_yaml::Mapping::new())
    );

    let build = &workflow["jobs"]["build"];
    let matrix: BTreeMap<String, String> = build["strategy"]["matrix"]["include"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["target"].as_str().unwrap().to_string(),
                entry["runner"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let targets: BTreeSet<&str> = matrix.keys().map(String::as_str).collect();
    assert_eq!(targets, BTreeSet::from(RELEASE_TARGETS));
    assert_eq!(matrix["x86_64-unknown-linux-musl"], "ubuntu-latest");
    assert_eq!(matrix["aarch64-unknown-linux-musl"], "ubuntu-24.04-arm");
    for target in ["x86_64-apple-darwin", "aarch64-apple-darwin"] {
        assert!(
            matrix[target].starts_with("macos-"),
            "{target} on {}",
            matrix[target]
        );
    }
    assert_eq!(build["runs-on"], "${{ matrix.runner }}");
    let musl = step_named(build, "Install musl-tools");
    assert!(run_script(musl).contains("musl-tools"));
    assert_eq!(musl["if"], "runner.os == 'Linux'");
    assert!(run_script(step_named(build, "Build")).contains("--target \"$TARGET\""));
    assert_eq!(
        permissions(&workflow, build),
        Some(BTreeMap::from([(
            "contents".to_string(),
            "read".to_string()
        )])),
        "the job that compiles the dependencies gets no write permission"
    );

    let release = &workflow["jobs"]["release"];
    let attest = steps(release)
        .iter()
        .find(|step| {
            step["uses"]
                .as_str()
                .is_some_and(|uses| uses.starts_with("actions/attest-build-provenance@"))
        })
        .expect("the archives are attested");
    assert_eq!(attest["with"]["subject-path"], "dist/sirops-v*.tar.gz");
    let publish = run_script(step_named(release, "Create the release"));
    for asset in ["dist/sirops-v*.tar.gz", "dist/SHA256SUMS"] {
        assert!(publish.contains(asset), "the release lacks {asset}");
    }
    let granted = permissions(&workflow, release).unwrap();
    for (scope, level) in [
        ("contents", "write"),
        ("id-token", "write"),
        ("attestations", "write"),
    ] {
        assert_eq!(
            granted.get(scope).map(String::as_str),
            Some(level),
            "release: {scope}"
        );
    }

    let image = &workflow["jobs"]["image"];
    let push = steps(image)
        .iter()
        .find(|step| step["id"].as_str() == Some("push"))
        .expect("the image is pushed");
    assert!(
        push["uses"]
            .as_str()
            .unwrap()
            .starts_with("docker/build-push-action@")
    );
    assert_eq!(push["with"]["push"].as_bool(), Some(true));
    assert_eq!(
        push["with"]["context"], ".",
        "the image is the repository's Dockerfile"
    );
    let attest_image = steps(image)
        .iter()
        .find(|step| {
            step["uses"]
                .as_str()
                .is_some_and(|uses| uses.starts_with("actions/attest-build-provenance@"))
        })
        .expect("the image is attested");
    assert_eq!(
        attest_image["with"]["subject-digest"],
        "${{ steps.push.outputs.digest }}"
    );
    assert_eq!(
        attest_image["with"]["push-to-registry"].as_bool(),
        Some(true)
    );
    let granted = permissions(&workflow, image).unwrap();
    assert_eq!(granted.get("packages").map(String::as_str), Some("write"));
    assert_ne!(granted.get("contents").map(String::as_str), Some("write"));

    for (name, job) in jobs(&workflow) {
        let granted = permissions(&workflow, job).unwrap_or_default();
        assert!(!granted.is_empty(), "job {name} declares no permissions");
        if name != "release" {
            assert_ne!(
                granted.get("contents").map(String::as_str),
                Some("write"),
                "{name}"
            );
        }
    }

    // The action installs exactly the targets that are released.
    let install = action_step("install");
    let arm = regex::Regex::new(r"(?m)^\s*(Linux|macOS)/(X64|ARM64)\) target=(\S+) ;;").unwrap();
    let installed: BTreeSet<&str> = arm
        .captures_iter(run_script(&install))
        .map(|found| found.get(3).unwrap().as_str())
        .collect();
    assert_eq!(installed, BTreeSet::from(RELEASE_TARGETS));
}

/// The tag check runs before anything is built: `v` and Cargo.toml's version, or the release
/// stops with a message naming both.
#[test]
fn the_release_refuses_a_tag_that_is_not_the_crate_version() {
    let workflow = load(".github/workflows/release.yml");
    let check = steps(&workflow["jobs"]["version"])
        .iter()
        .find(|step| step["id"].as_str() == Some("check"))
        .unwrap();
    for (name, job) in jobs(&workflow) {
        if name != "version" {
            assert!(
                job["needs"].as_str() == Some("version")
                    || job["needs"]
                        .as_sequence()
                        .is_some_and(|needs| needs.contains(&Value::from("version"))),
                "job {name} does not wait for the tag check"
            );
        }
    }
    let tag = |name: &str| {
        run_step_script(
            run_script(check),
            repository(),
            &[],
            &[("GITHUB_REF_NAME".to_string(), name.to_string())],
        )
    };
    let matching = tag(&format!("v{VERSION}"));
    assert!(matching.succeeded(), "{}", matching.log());
    assert_eq!(matching.output("version"), Some(VERSION));
    for wrong in [
        format!("v{VERSION}.1"),
        VERSION.to_string(),
        "v0.0.0-rc.1".to_string(),
    ] {
        let refused = tag(&wrong);
        assert!(
            !refused.succeeded(),
            "tag {wrong} was released as {VERSION}"
        );
        assert!(
            refused.log().contains("does not match"),
            "{}",
            refused.log()
        );
    }
}

/// `[package.metadata.binstall]` and the other `[package]` fields, read line by line.
fn cargo_table(table: &str) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(repository().join("Cargo.toml")).unwrap();
    let entry = regex::Regex::new(r#"^([a-z-]+) = "(.*)"$"#).unwrap();
    let mut fields = BTreeMap::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with('[') {
            inside = line == format!("[{table}]");
        } else if inside && let Some(found) = entry.captures(line) {
            fields.insert(found[1].to_string(), found[2].to_string());
        }
    }
    fields
}

/// cargo-binstall's templates lead to the archives the release publishes and to the binary
/// inside them, as the release's own packaging step lays it out.
#[test]
fn binstall_metadata_points_at_the_release_archives() {
    let package = cargo_table("package");
    let repository_url = format!("https://github.com/{ACTION}");
    assert_eq!(package["repository"], repository_url);
    assert!(!package.get("description").is_none_or(String::is_empty));
    assert!(!package.get("license").is_none_or(String::is_empty));

    let binstall = cargo_table("package.metadata.binstall");
    assert_eq!(binstall.get("pkg-fmt").map(String::as_str), Some("tgz"));
    let render = |template: &str, target: &str| {
        let rendered = template
            .replace("{ repo }", &repository_url)
            .replace("{ name }", "sirops")
            .replace("{ bin }", "sirops")
            .replace("{ binary-ext }", "")
            .replace("{ version }", VERSION)
            .replace("{ target }", target);
        assert!(
            !rendered.contains('{'),
            "{template} uses a key this test does not know"
        );
        rendered
    };
    for target in RELEASE_TARGETS {
        let archive_dir = release_archive_dir(target);
        assert_eq!(
            render(&binstall["pkg-url"], target),
            format!("{repository_url}/releases/download/v{VERSION}/{archive_dir}.tar.gz")
        );
        assert_eq!(
            render(&binstall["bin-dir"], target),
            format!("{archive_dir}/sirops")
        );
    }

    let work = tempfile::tempdir().unwrap();
    let target = RELEASE_TARGETS[1];
    let dist = package_release(work.path(), target);
    let listing = Command::new("tar")
        .arg("-tzf")
        .arg(dist.join(format!("{}.tar.gz", release_archive_dir(target))))
        .output()
        .unwrap();
    let entries = String::from_utf8_lossy(&listing.stdout);
    let binary = render(&binstall["bin-dir"], target);
    assert!(
        entries.lines().any(|entry| entry == binary),
        "the archive has no {binary}:\n{entries}"
    );
}

/// The GitLab example: the release binary checked against SHA256SUMS before it is unpacked,
/// Code Quality and plan reports for the merge request, and apply pushing the recorded ids
/// with a token, rebasing a bounded number of times, without starting another pipeline.
#[test]
fn the_gitlab_example_installs_a_checked_release_and_reports_to_merge_requests() {
    let file = "examples/gitlab-ci/.gitlab-ci.yml";
    let pipeline = load(file);
    let text = std::fs::read_to_string(repository().join(file)).unwrap();
    assert!(!text.contains("cargo "), "the example compiles sirops");
    assert_eq!(
        pipeline["variables"]["SIROPS_VERSION"].as_str(),
        Some(VERSION)
    );

    let mut install = Vec::new();
    shell_lines(&pipeline["default"], &mut install);
    let install = install.join("\n");
    assert!(install.contains("archive=\"sirops-v${SIROPS_VERSION}-${SIROPS_TARGET}.tar.gz\""));
    assert!(install.contains("releases/download/v${SIROPS_VERSION}"));
    let checked = install
        .find("sha256sum -c")
        .expect("the checksum is checked");
    let unpacked = install.find("tar -xzf").expect("the archive is unpacked");
    assert!(
        checked < unpacked,
        "the archive is unpacked before its checksum is checked"
    );
    assert!(
        RELEASE_TARGETS.contains(&pipeline["variables"]["SIROPS_TARGET"].as_str().unwrap()),
        "SIROPS_TARGET is not released"
    );

    let plan = &pipeline["plan"];
    let reports = &plan["artifacts"]["reports"];
    assert_eq!(
        plan["artifacts"]["when"], "always",
        "a failed validation's report is kept"
    );
    let script = script_lines(plan);
    let validate = redirected_invocation(&script, "validate");
    let matches = parse_sirops(file, &validate.0);
    let validate_flags = matches.subcommand().unwrap().1;
    assert_eq!(
        validate_flags
            .try_get_raw("format")
            .ok()
            .flatten()
            .map(Iterator::collect::<Vec<_>>),
        Some(vec![std::ffi::OsStr::new("gitlab")])
    );
    assert_eq!(reports["codequality"].as_str(), Some(validate.1.as_str()));
    let planned = redirected_invocation(&script, "plan");
    let matches = parse_sirops(file, &planned.0);
    let plan_flags = matches.subcommand().unwrap().1;
    assert_eq!(
        plan_flags
            .try_get_raw("format")
            .ok()
            .flatten()
            .map(Iterator::collect::<Vec<_>>),
        Some(vec![std::ffi::OsStr::new("gitlab-mr")])
    );
    assert!(plan_flags.get_one::<PathBuf>("out").is_some());
    assert_eq!(reports["terraform"].as_str(), Some(planned.1.as_str()));
    let markdown = plan["artifacts"]["paths"].as_sequence().unwrap();
    assert!(
        markdown.contains(&Value::from("plan.md")),
        "the Markdown plan artifact"
    );
    assert!(
        !markdown.contains(&Value::from("plan.json")),
        "the saved plan is unredacted"
    );

    let apply = &pipeline["apply"];
    let script = script_lines(apply).join("\n");
    let applied = script
        .lines()
        .flat_map(sirops_invocations)
        .find(|arguments| arguments[0] == "apply")
        .expect("apply runs sirops apply");
    let matches = parse_sirops(file, &applied);
    assert!(matches.subcommand().unwrap().1.get_flag("write_back"));
    for needed in [
        "[skip ci]",
        "SIROPS_PUSH_TOKEN",
        "git rebase",
        "-ge 5",
        "git push",
    ] {
        assert!(script.contains(needed), "the apply job lacks {needed}");
    }
    assert!(
        apply["resource_group"].is_string(),
        "two applies may run at once"
    );
}

fn script_lines(job: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    shell_lines(job, &mut lines);
    lines
}

/// The `sirops SUBCOMMAND` line of a script whose stdout goes to a file: its arguments and
/// the file.
fn redirected_invocation(script: &[String], subcommand: &str) -> (Vec<String>, String) {
    script
        .iter()
        .find_map(|line| {
            let arguments = sirops_invocations(line)
                .into_iter()
                .find(|arguments| arguments[0] == subcommand)?;
            let file = line.split_once(" > ")?.1.split_whitespace().next()?;
            Some((arguments, file.to_string()))
        })
        .unwrap_or_else(|| panic!("no `sirops {subcommand} ... > FILE`"))
}

/// The documentation's install commands and examples name this release, so that a release
/// that leaves them behind fails here.
#[test]
fn the_documentation_names_this_release() {
    let release = regex::Regex::new(
        r"sirops/sirops@v(?<action>[0-9][^\s`]*)|ghcr\.io/sirops/sirops:(?<image>[0-9][^\s`]*)|\bversion=(?<shell>[0-9][^\s`]*) target=|--tag v(?<tag>[0-9][^\s`]*)|sirops-v(?<archive>\d+\.\d+\.\d+)-(x86_64|aarch64)",
    )
    .unwrap();
    let mut documents = vec![repository().join("README.md")];
    documents.extend(
        std::fs::read_dir(repository().join("docs"))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|extension| extension == "md")),
    );
    let mut named = 0;
    for document in documents {
        let text = std::fs::read_to_string(&document).unwrap();
        for found in release.captures_iter(&text) {
            let version = ["action", "image", "shell", "tag", "archive"]
                .into_iter()
                .find_map(|name| found.name(name))
                .unwrap()
                .as_str();
            assert_eq!(
                version,
                VERSION,
                "{} names release {version}: {}",
                relative(&document),
                &found[0]
            );
            named += 1;
        }
    }
    assert!(named >= 5, "the documentation names no release to install");
}
