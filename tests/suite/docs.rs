//! The documentation's promises: every CI example parses and runs only commands the CLI has.

use std::path::{Path, PathBuf};

use clap::Parser;
use sirops::cli::Cli;

fn example_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files = Vec::new();
    let mut pending = vec![root];
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

/// Every shell line of a CI file: GitHub `run:` blocks and GitLab `script:` lists.
fn shell_lines(document: &serde_yaml::Value, lines: &mut Vec<String>) {
    match document {
        serde_yaml::Value::Mapping(mapping) => {
            for (key, value) in mapping {
                match (key.as_str(), value) {
                    (Some("run"), serde_yaml::Value::String(script)) => {
                        lines.extend(script.lines().map(str::to_string));
                    }
                    (
                        Some("script" | "before_script" | "after_script"),
                        serde_yaml::Value::Sequence(items),
                    ) => lines.extend(
                        items
                            .iter()
                            .filter_map(|item| item.as_str().map(str::to_string)),
                    ),
                    _ => shell_lines(value, lines),
                }
            }
        }
        serde_yaml::Value::Sequence(items) => {
            for item in items {
                shell_lines(item, lines);
            }
        }
        _ => {}
    }
}

/// The arguments of each `sirops` invocation in a shell line, up to a redirection or pipe.
fn sirops_invocations(line: &str) -> Vec<Vec<String>> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut invocations = Vec::new();
    for (index, word) in words.iter().enumerate() {
        let starts_command =
            index == 0 || matches!(words[index - 1], "&&" | "||" | ";" | "|" | "then" | "do");
        if starts_command && (*word == "sirops" || word.ends_with("/bin/sirops")) {
            let arguments = words[index + 1..]
                .iter()
                .take_while(|word| !matches!(**word, ">" | "|" | "&&" | ";" | "||" | "2>&1"))
                .map(std::string::ToString::to_string)
                .collect();
            invocations.push(arguments);
        }
    }
    invocations
}

#[test]
fn ci_examples_parse_and_run_only_real_sirops_commands() {
    let files = example_files();
    assert!(
        files.len() >= 3,
        "expected GitHub and GitLab examples, found {files:?}"
    );
    let mut subcommands = std::collections::BTreeSet::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let document: serde_yaml::Value = serde_yaml::from_str(&text)
            .unwrap_or_else(|error| panic!("{} is not valid YAML: {error}", file.display()));
        let mut lines = Vec::new();
        shell_lines(&document, &mut lines);
        let invocations: Vec<Vec<String>> = lines
            .iter()
            .flat_map(|line| sirops_invocations(line))
            .collect();
        assert!(
            !invocations.is_empty(),
            "{} runs no sirops command",
            file.display()
        );
        for arguments in invocations {
            let argv = std::iter::once("sirops".to_string()).chain(arguments.iter().cloned());
            if let Err(error) = Cli::try_parse_from(argv) {
                panic!(
                    "{}: `sirops {}` is not a valid command: {error}",
                    file.display(),
                    arguments.join(" ")
                );
            }
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
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/github-actions/sirops-apply.yml"),
    )
    .unwrap();
    assert!(text.contains("--auto-approve --write-back"));
    assert!(text.contains("id-token: write"));
    assert!(!text.contains("aws-access-key-id"), "no long-lived keys");
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
