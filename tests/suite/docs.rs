//! The documentation's promises: every deployment example parses and runs only commands the
//! CLI has, and the container image and the Kubernetes examples agree with it. The CI files are
//! checked in `workflows`, with the helpers here that read shell lines and parse `sirops`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser};
use serde::Deserialize;
use serde_yaml::Value;
use sirops::cli::Cli;

pub(super) fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub(super) fn yaml_files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(directory) = pending.pop() {
        for entry in std::fs::read_dir(&directory).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if matches!(
                path.extension().and_then(|extension| extension.to_str()),
                Some("yml" | "yaml")
            ) {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The CI examples: every YAML file under `examples/` but the Kubernetes ones.
pub(super) fn ci_example_files() -> Vec<PathBuf> {
    let kubernetes = repository().join("examples/kubernetes");
    yaml_files_under(&repository().join("examples"))
        .into_iter()
        .filter(|path| !path.starts_with(&kubernetes))
        .collect()
}

/// Every shell line of a CI file: GitHub `run:` blocks and GitLab `script:` lists.
pub(super) fn shell_lines(document: &Value, lines: &mut Vec<String>) {
    match document {
        Value::Mapping(mapping) => {
            for (key, value) in mapping {
                match (key.as_str(), value) {
                    (Some("run"), Value::String(script)) => {
                        lines.extend(script.lines().map(str::to_string));
                    }
                    (Some("script" | "before_script" | "after_script"), Value::Sequence(items)) => {
                        lines.extend(
                            items
                                .iter()
                                .filter_map(Value::as_str)
                                .flat_map(str::lines)
                                .map(str::to_string),
                        );
                    }
                    _ => shell_lines(value, lines),
                }
            }
        }
        Value::Sequence(items) => {
            for item in items {
                shell_lines(item, lines);
            }
        }
        _ => {}
    }
}

/// The arguments of each `sirops` invocation in a shell line, up to a redirection, a pipe or
/// the end of its command; `sirops` may be the command that `flock` runs.
pub(super) fn sirops_invocations(line: &str) -> Vec<Vec<String>> {
    let line = line.replace(';', " ; ");
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut invocations = Vec::new();
    let mut wrapped_command = None;
    for (index, word) in words.iter().enumerate() {
        let starts_command = index == 0
            || matches!(
                words[index - 1],
                "&&" | "||" | ";" | "|" | "then" | "do" | "{"
            )
            || wrapped_command == Some(index);
        if !starts_command {
            continue;
        }
        if *word == "flock" {
            wrapped_command = Some(flock_command(&words, index));
        } else if *word == "sirops" || word.ends_with("/bin/sirops") {
            let arguments = words[index + 1..]
                .iter()
                .take_while(|word| !matches!(**word, ">" | "|" | "&&" | ";" | "||" | "2>&1" | "}"))
                .map(std::string::ToString::to_string)
                .collect();
            invocations.push(arguments);
        }
    }
    invocations
}

/// Where the command of `flock [OPTION]... LOCKFILE COMMAND...` starts.
fn flock_command(words: &[&str], flock: usize) -> usize {
    let mut index = flock + 1;
    while let Some(option) = words.get(index).filter(|word| word.starts_with('-')) {
        let takes_value = matches!(
            *option,
            "-E" | "--conflict-exit-code" | "-w" | "--wait" | "--timeout"
        );
        index += if takes_value { 2 } else { 1 };
    }
    index + 1
}

/// `sirops` with `arguments` as clap reads them; a panic naming `source` when the CLI has no
/// such command.
pub(super) fn parse_sirops(source: &str, arguments: &[String]) -> clap::ArgMatches {
    let argv: Vec<String> = std::iter::once("sirops".to_string())
        .chain(arguments.iter().cloned())
        .collect();
    let invalid = |error: clap::Error| -> ! {
        panic!(
            "{source}: `sirops {}` is not a valid command: {error}",
            arguments.join(" ")
        )
    };
    if let Err(error) = Cli::try_parse_from(&argv) {
        invalid(error);
    }
    Cli::command()
        .try_get_matches_from(&argv)
        .unwrap_or_else(|error| invalid(error))
}

/// The instructions of the Dockerfile's last stage, the image that runs: `(INSTRUCTION,
/// arguments)`, continuation lines joined and comments left out.
fn image_instructions() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(repository().join("Dockerfile")).unwrap();
    let mut instructions = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if let Some(continued) = line.strip_suffix('\\') {
            pending.push_str(continued);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let instruction = std::mem::take(&mut pending);
        if let Some((name, arguments)) = instruction.trim().split_once(char::is_whitespace) {
            instructions.push((name.to_uppercase(), arguments.trim().to_string()));
        }
    }
    let last_stage = instructions
        .iter()
        .rposition(|(name, _)| name == "FROM")
        .expect("the Dockerfile has a FROM");
    instructions.split_off(last_stage)
}

fn json_words(instruction: &str, arguments: &str) -> Vec<String> {
    serde_json::from_str(arguments)
        .unwrap_or_else(|error| panic!("Dockerfile {instruction} is not a JSON array: {error}"))
}

/// The packages the image installs with apt-get.
fn image_packages(instructions: &[(String, String)]) -> Vec<String> {
    instructions
        .iter()
        .filter(|(name, _)| name == "RUN")
        .flat_map(|(_, command)| command.split("&&"))
        .filter_map(|command| command.split_once("apt-get install"))
        .flat_map(|(_, packages)| packages.split_whitespace())
        .filter(|word| !word.starts_with('-'))
        .map(str::to_string)
        .collect()
}

/// The image runs `sirops` as a non-root user with a numeric UID (the only kind Kubernetes'
/// runAsNonRoot can verify), its default command is a real one, and it exposes the port that
/// command listens on.
#[test]
fn the_container_image_runs_a_real_sirops_command_as_a_numeric_non_root_user() {
    let instructions = image_instructions();
    let last = |wanted: &str| {
        instructions
            .iter()
            .rev()
            .find(|(name, _)| name == wanted)
            .map_or_else(
                || panic!("the image has no {wanted}"),
                |(_, arguments)| arguments.clone(),
            )
    };
    assert_eq!(json_words("ENTRYPOINT", &last("ENTRYPOINT")), ["sirops"]);
    assert!(
        instructions.iter().any(|(name, arguments)| name == "COPY"
            && arguments.starts_with("--from=")
            && arguments.ends_with(" /usr/local/bin/sirops")),
        "the image puts sirops on its PATH: {instructions:?}"
    );

    let command = json_words("CMD", &last("CMD"));
    let matches = parse_sirops("Dockerfile CMD", &command);
    let (subcommand, reconcile) = matches.subcommand().unwrap();
    assert_eq!(subcommand, "reconcile");
    let listen = reconcile
        .get_one::<SocketAddr>("listen")
        .expect("the default command serves /healthz, /readyz and /metrics");
    assert!(
        listen.ip().is_unspecified(),
        "{listen} cannot be reached from outside the container"
    );
    let exposed: Vec<String> = last("EXPOSE")
        .split_whitespace()
        .map(|port| port.trim_end_matches("/tcp").to_string())
        .collect();
    assert!(
        exposed.contains(&listen.port().to_string()),
        "CMD listens on {listen}, EXPOSE names {exposed:?}"
    );

    let user = last("USER");
    let uid = user.split(':').next().unwrap();
    let uid: u32 = uid
        .parse()
        .unwrap_or_else(|_| panic!("USER {user} is not numeric: runAsNonRoot cannot check it"));
    assert_ne!(uid, 0, "the image runs as root");

    let packages = image_packages(&instructions);
    for needed in ["ca-certificates", "git"] {
        assert!(
            packages.iter().any(|package| package == needed),
            "the image lacks {needed}: {packages:?}"
        );
    }
}

/// Every document of every file under `examples/kubernetes/`, with its file's name.
fn kubernetes_documents() -> Vec<(String, Value)> {
    let files = yaml_files_under(&repository().join("examples/kubernetes"));
    let mut documents = Vec::new();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        for document in serde_yaml::Deserializer::from_str(&text) {
            let value = Value::deserialize(document)
                .unwrap_or_else(|error| panic!("{name} is not valid YAML: {error}"));
            if !value.is_null() {
                documents.push((name.clone(), value));
            }
        }
    }
    documents
}

fn pod_template(resource: &Value) -> Option<&Value> {
    match resource["kind"].as_str()? {
        "Deployment" | "StatefulSet" | "DaemonSet" | "Job" => Some(&resource["spec"]["template"]),
        "CronJob" => Some(&resource["spec"]["jobTemplate"]["spec"]["template"]),
        _ => None,
    }
}

fn string_list(value: &Value) -> Vec<String> {
    value
        .as_sequence()
        .map(|items| {
            items
                .iter()
                .map(|item| item.as_str().expect("a list of strings").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether every label `selector` asks for is among `labels`.
fn selects(selector: &Value, labels: &Value) -> bool {
    selector.as_mapping().is_some_and(|selector| {
        !selector.is_empty() && selector.iter().all(|(key, value)| &labels[key] == value)
    })
}

/// The container port a probe or a Service names, by number or by name.
fn container_port(container: &Value, port: &Value) -> Option<u64> {
    port.as_u64().or_else(|| {
        container["ports"]
            .as_sequence()?
            .iter()
            .find(|declared| declared["name"] == *port)?["containerPort"]
            .as_u64()
    })
}

/// The `sirops` arguments of a container of the sirops image, `$(VAR)` references replaced as
/// Kubernetes does from the container's env (with a placeholder URL); `None` when the
/// container runs another program of the image.
fn container_sirops_arguments(place: &str, container: &Value) -> Option<Vec<String>> {
    let command = string_list(&container["command"]);
    let mut arguments = match command.split_first() {
        None => Vec::new(),
        Some((program, rest)) if program == "sirops" || program.ends_with("/sirops") => {
            rest.to_vec()
        }
        Some(_) => return None,
    };
    arguments.extend(string_list(&container["args"]));
    let defined: Vec<&str> = container["env"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|variable| variable["name"].as_str())
        .collect();
    let reference = regex::Regex::new(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)").unwrap();
    for argument in &mut arguments {
        for capture in reference.captures_iter(&argument.clone()) {
            assert!(
                defined.contains(&&capture[1]),
                "{place}: $({}) is not in the container's env, so Kubernetes passes it as is",
                &capture[1]
            );
        }
        *argument = reference
            .replace_all(argument, "https://hooks.example.com/placeholder")
            .to_string();
    }
    Some(arguments)
}

/// What the pods of one template serve, for the Services that select them.
struct Listener {
    labels: Value,
    container: Value,
    port: Option<u16>,
}

fn assert_hardened(place: &str, container: &Value) {
    let security = &container["securityContext"];
    assert_eq!(
        security["allowPrivilegeEscalation"].as_bool(),
        Some(false),
        "{place}: allowPrivilegeEscalation"
    );
    assert_eq!(
        security["readOnlyRootFilesystem"].as_bool(),
        Some(true),
        "{place}: readOnlyRootFilesystem"
    );
    assert!(
        string_list(&security["capabilities"]["drop"]).contains(&"ALL".to_string()),
        "{place}: capabilities are not all dropped"
    );
    assert_ne!(security["runAsNonRoot"].as_bool(), Some(false), "{place}");
    assert_ne!(
        security["runAsUser"].as_u64(),
        Some(0),
        "{place} runs as root"
    );
}

/// Checks one pod template: non-root, every sirops container hardened and running a real
/// command, a long-running one probed on the paths and port it serves. Returns what it
/// serves, and how many sirops invocations it holds.
fn check_pod_template(
    place: &str,
    resource: &Value,
    template: &Value,
    image_packages: &[String],
) -> (Listener, usize) {
    let spec = &template["spec"];
    assert_eq!(
        spec["securityContext"]["runAsNonRoot"].as_bool(),
        Some(true),
        "{place}: the pod must set runAsNonRoot"
    );
    assert_ne!(
        spec["securityContext"]["runAsUser"].as_u64(),
        Some(0),
        "{place} runs as root"
    );
    let mut listener = Listener {
        labels: template["metadata"]["labels"].clone(),
        container: Value::Null,
        port: None,
    };
    let mut invocations = 0;
    let containers = spec["initContainers"]
        .as_sequence()
        .into_iter()
        .chain(spec["containers"].as_sequence())
        .flatten();
    for container in containers {
        if !container["image"].as_str().unwrap_or("").contains("sirops") {
            continue;
        }
        let place = format!(
            "{place}, container {}",
            container["name"].as_str().unwrap_or("?")
        );
        assert_hardened(&place, container);
        let Some(arguments) = container_sirops_arguments(&place, container) else {
            let script = string_list(&container["command"])
                .into_iter()
                .chain(string_list(&container["args"]))
                .collect::<Vec<_>>()
                .join(" ");
            if script.contains("git ") {
                assert!(
                    image_packages.iter().any(|package| package == "git"),
                    "{place} runs git, which the image does not install"
                );
            }
            continue;
        };
        invocations += 1;
        let matches = parse_sirops(&place, &arguments);
        let (subcommand, reconcile) = matches.subcommand().unwrap();
        assert_eq!(subcommand, "reconcile", "{place}");
        if reconcile.get_flag("once") {
            let rules = &resource["spec"]["jobTemplate"]["spec"]["podFailurePolicy"]["rules"];
            for rule in rules.as_sequence().into_iter().flatten() {
                let named = rule["onExitCodes"]["containerName"].as_str();
                assert!(
                    named.is_none_or(|name| Some(name) == container["name"].as_str()),
                    "{place}: the podFailurePolicy names container {named:?}"
                );
            }
            continue;
        }
        assert!(
            matches!(
                resource["kind"].as_str(),
                Some("Deployment" | "StatefulSet")
            ),
            "{place}: reconcile without --once runs until stopped, so not in a Job"
        );
        let listen = reconcile
            .get_one::<SocketAddr>("listen")
            .unwrap_or_else(|| {
                panic!("{place}: without --listen there is nothing to probe or scrape")
            });
        assert!(
            listen.ip().is_unspecified(),
            "{place}: the kubelet cannot reach {listen}"
        );
        for (probe, path) in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
            let get = &container[probe]["httpGet"];
            assert_eq!(get["path"].as_str(), Some(path), "{place}: {probe} path");
            assert_eq!(
                container_port(container, &get["port"]),
                Some(u64::from(listen.port())),
                "{place}: {probe} port, while sirops listens on {listen}"
            );
        }
        check_git_sync(&place, spec, reconcile);
        listener.container = container.clone();
        listener.port = Some(listen.port());
    }
    (listener, invocations)
}

/// A git-sync sidecar publishes each commit by moving a link: sirops must enter that link
/// anew each round (`--directory ROOT/LINK`), and needs the whole history to tell drift.
fn check_git_sync(place: &str, spec: &Value, reconcile: &clap::ArgMatches) {
    let Some(sync) = spec["containers"]
        .as_sequence()
        .into_iter()
        .flatten()
        .find(|container| {
            container["image"]
                .as_str()
                .unwrap_or("")
                .contains("git-sync")
        })
    else {
        return;
    };
    let arguments = string_list(&sync["args"]);
    let value = |flag: &str| {
        arguments
            .iter()
            .find_map(|argument| argument.strip_prefix(&format!("--{flag}=")))
            .unwrap_or_else(|| panic!("{place}: git-sync has no --{flag}="))
            .to_string()
    };
    let link = Path::new(&value("root")).join(value("link"));
    assert_eq!(
        reconcile.get_one::<PathBuf>("directory"),
        Some(&link),
        "{place}: sirops must enter git-sync's link {} each round",
        link.display()
    );
    assert_eq!(
        value("depth"),
        "0",
        "{place}: drift needs the whole history"
    );
}

/// The Kubernetes examples run only commands the CLI has, as a non-root pod, probe the
/// endpoints `--listen` serves on its port, and hang together: the service account carries
/// the IAM role, the Service selects the pods that listen, the ServiceMonitor the Service.
#[test]
fn the_kubernetes_examples_run_real_sirops_commands_and_probe_what_they_serve() {
    let documents = kubernetes_documents();
    let packages = image_packages(&image_instructions());
    let namespace = &documents[0].1["metadata"]["namespace"];
    let mut listeners = Vec::new();
    let mut invocations = 0;
    let mut kinds = BTreeMap::new();
    for (file, resource) in &documents {
        let kind = resource["kind"].as_str().unwrap_or("?");
        let place = format!(
            "{file}: {kind} {}",
            resource["metadata"]["name"].as_str().unwrap_or("?")
        );
        *kinds.entry(kind.to_string()).or_insert(0) += 1;
        assert_eq!(
            &resource["metadata"]["namespace"], namespace,
            "{place}: namespace"
        );
        let Some(template) = pod_template(resource) else {
            continue;
        };
        let (listener, found) = check_pod_template(&place, resource, template, &packages);
        invocations += found;
        listeners.push(listener);
        let account = template["spec"]["serviceAccountName"].as_str();
        let irsa = documents.iter().find(|(_, other)| {
            other["kind"] == "ServiceAccount" && other["metadata"]["name"].as_str() == account
        });
        let role = irsa.and_then(|(_, account)| {
            account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].as_str()
        });
        assert!(
            role.is_some_and(|role| role.starts_with("arn:aws:iam::")),
            "{place}: service account {account:?} has no IRSA role"
        );
        if kind == "Deployment" {
            assert!(
                selects(
                    &resource["spec"]["selector"]["matchLabels"],
                    &template["metadata"]["labels"]
                ),
                "{place}: the selector does not match the pod's labels"
            );
            assert_eq!(resource["spec"]["replicas"].as_u64(), Some(1), "{place}");
            assert_eq!(resource["spec"]["strategy"]["type"], "Recreate", "{place}");
        }
    }
    for kind in ["Deployment", "CronJob", "Service", "ServiceMonitor"] {
        assert!(kinds.contains_key(kind), "no {kind} among {kinds:?}");
    }
    assert!(invocations >= 2, "the operator and the CronJob run sirops");

    let services: Vec<&Value> = documents
        .iter()
        .map(|(_, resource)| resource)
        .filter(|resource| resource["kind"] == "Service")
        .collect();
    for service in &services {
        let selected: Vec<&Listener> = listeners
            .iter()
            .filter(|listener| selects(&service["spec"]["selector"], &listener.labels))
            .collect();
        assert!(!selected.is_empty(), "the Service selects no pod");
        for listener in selected {
            let labels = &listener.labels;
            assert!(
                listener.port.is_some(),
                "the Service selects pods labelled {labels:?}, which serve nothing"
            );
            for port in service["spec"]["ports"].as_sequence().into_iter().flatten() {
                assert_eq!(
                    container_port(&listener.container, &port["targetPort"]),
                    listener.port.map(u64::from),
                    "the Service sends port {:?} to a pod that does not listen there",
                    port["name"]
                );
            }
        }
    }
    for (_, monitor) in documents
        .iter()
        .filter(|(_, resource)| resource["kind"] == "ServiceMonitor")
    {
        let service = services
            .iter()
            .find(|service| {
                selects(
                    &monitor["spec"]["selector"]["matchLabels"],
                    &service["metadata"]["labels"],
                )
            })
            .expect("the ServiceMonitor selects no Service");
        for endpoint in monitor["spec"]["endpoints"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            assert!(
                service["spec"]["ports"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .any(|port| port["name"] == endpoint["port"]),
                "the ServiceMonitor scrapes port {:?}, which the Service does not name",
                endpoint["port"]
            );
            assert_eq!(endpoint["path"].as_str().unwrap_or("/metrics"), "/metrics");
        }
    }
}

/// The crontab example runs one real round per line (`--once`: a round that never ended
/// would hold the lock and skip every later one).
#[test]
fn the_crontab_example_runs_one_real_sirops_round() {
    let text = std::fs::read_to_string(repository().join("examples/cron/sirops.cron")).unwrap();
    let schedule = regex::Regex::new(r"^(@\S+|(\S+\s+){4}\S+)\s+(?<command>.*)$").unwrap();
    let mut invocations = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let first = line.split_whitespace().next().unwrap();
        if first.contains('=') {
            continue;
        }
        let command = schedule
            .captures(line)
            .unwrap_or_else(|| panic!("not a crontab line: {line}"))["command"]
            .to_string();
        invocations.extend(sirops_invocations(&command));
    }
    assert!(
        !invocations.is_empty(),
        "the crontab runs no sirops command"
    );
    for arguments in invocations {
        let matches = parse_sirops("examples/cron/sirops.cron", &arguments);
        let (subcommand, reconcile) = matches.subcommand().unwrap();
        assert_eq!(subcommand, "reconcile");
        assert!(reconcile.get_flag("once"), "cron runs a round at a time");
    }
}

/// The README's walk-through, line by line, against `--local` in a copy of the repository:
/// each `sirops` line must exit as its comment says and print the comment's words.
#[test]
fn the_readme_walkthrough_works_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let block = readme
        .split("<!-- walkthrough")
        .nth(1)
        .and_then(|rest| rest.split("<!-- end walkthrough -->").next())
        .expect("README has a walkthrough block");
    let lines: Vec<&str> = block
        .lines()
        .filter(|line| line.starts_with("sirops ") || line.starts_with("sed "))
        .collect();
    assert!(lines.len() >= 6, "walkthrough too short: {lines:?}");

    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(root.join("sirops.yaml"), copy.path().join("sirops.yaml")).unwrap();
    for directory in ["cases", "schemas"] {
        std::fs::create_dir_all(copy.path().join(directory)).unwrap();
        for entry in std::fs::read_dir(root.join(directory)).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(
                &path,
                copy.path().join(directory).join(path.file_name().unwrap()),
            )
            .unwrap();
        }
    }
    for line in lines {
        if line.starts_with("sed ") {
            let status = std::process::Command::new("sh")
                .args(["-c", line])
                .current_dir(copy.path())
                .status()
                .unwrap();
            assert!(status.success(), "{line}");
            continue;
        }
        let (command, comment) = line.split_once('#').unwrap_or((line, ""));
        let expected_code = if comment.contains("(exit 2)") { 2 } else { 0 };
        let expected_words = comment.split(" (").next().unwrap().trim();
        let arguments: Vec<&str> = command.split_whitespace().skip(1).collect();
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_sirops"))
            .args(&arguments)
            .current_dir(copy.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", copy.path())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(expected_code),
            "`{line}`\n{stdout}\n{stderr}"
        );
        assert!(
            stdout.contains(expected_words),
            "`{line}` should print {expected_words:?}:\n{stdout}"
        );
    }
    let final_manifest =
        std::fs::read_to_string(copy.path().join("cases/payroll-phishing.yaml")).unwrap();
    assert!(final_manifest.contains("carol@example.com"));
}

fn files_under(root: &Path, extension: &str, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, extension, found);
        } else if path.extension().is_some_and(|found| found == extension) {
            found.push(path);
        }
    }
}

/// The project's documents stand on their own: every relative link in the README and in
/// `docs/` leads to a file of the repository.
#[test]
fn every_relative_link_in_the_documentation_resolves() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut documents = vec![root.join("README.md")];
    files_under(&root.join("docs"), "md", &mut documents);
    assert!(documents.len() >= 4, "README and the docs: {documents:?}");
    let link = regex::Regex::new(r"\]\(([^)#\s]+)(#[^)]*)?\)").unwrap();
    let code = regex::Regex::new(r"`[^`\n]*`").unwrap();
    for document in &documents {
        let text = std::fs::read_to_string(document).unwrap();
        let text = code.replace_all(&text, "");
        for capture in link.captures_iter(&text) {
            let target = &capture[1];
            if target.starts_with("http://") || target.starts_with("https://") {
                continue;
            }
            let resolved = document.parent().unwrap().join(target);
            assert!(
                resolved.exists(),
                "{} links to {target}, which does not exist",
                document.display()
            );
        }
    }
}

/// Comments explain the code from what a clone contains, never by citing documents or
/// trackers that live elsewhere.
#[test]
fn no_comment_cites_a_document_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = Vec::new();
    for folder in ["src", "tests", "benches", "examples"] {
        files_under(&root.join(folder), "rs", &mut sources);
    }
    let citation =
        regex::Regex::new(r"(?i)design (section|sections|doc)\b|\(issue \d+\)|\bissue #?\d+\b")
            .unwrap();
    let mut found = Vec::new();
    for source in &sources {
        let text = std::fs::read_to_string(source).unwrap();
        for (number, line) in text.lines().enumerate() {
            let comment = line.trim_start();
            let is_comment = comment.starts_with("//");
            if is_comment && citation.is_match(comment) {
                found.push(format!("{}:{}: {comment}", source.display(), number + 1));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
