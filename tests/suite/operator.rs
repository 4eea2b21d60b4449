//! `sirops reconcile` as operators run it: a long-lived process against the emulator, with its
//! health and metrics endpoints read over HTTP and its notifications received by a webhook in
//! the test, while other identities edit cases through the real SDK.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::{Sandbox, client_as, commit_all, git, raw_request, update_title};

/// A webhook that keeps every JSON body POSTed to it, answering 200.
struct Webhook {
    url: String,
    events: Arc<Mutex<Vec<Value>>>,
}

impl Webhook {
    async fn start() -> Webhook {
        let events: Arc<Mutex<Vec<Value>>> = Arc::default();
        let kept = events.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |body: String| {
                let kept = kept.clone();
                async move {
                    kept.lock()
                        .unwrap()
                        .push(serde_json::from_str(&body).expect("a JSON payload"));
                    "ok"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Webhook {
            url: format!("http://{address}/hook"),
            events,
        }
    }

    fn events(&self) -> Vec<Value> {
        self.events.lock().unwrap().clone()
    }

    /// The events of that kind (`drift_detected`, ...).
    fn of_kind(&self, kind: &str) -> Vec<Value> {
        self.events()
            .into_iter()
            .filter(|event| event["event"] == kind)
            .collect()
    }

    async fn wait_for(&self, kind: &str) -> Value {
        wait_until(&format!("a {kind} event"), || {
            self.of_kind(kind).into_iter().next()
        })
        .await
    }
}

/// Polls `found` until it gives something, for at most 30 seconds.
async fn wait_until<T>(what: &str, mut found: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = found() {
            return value;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "waited 30s for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A running `sirops reconcile`, its JSON log lines collected.
struct Operator {
    child: tokio::process::Child,
    address: SocketAddr,
    logs: Arc<Mutex<Vec<Value>>>,
}

impl Operator {
    async fn start(sandbox: &Sandbox, args: &[&str]) -> Operator {
        Operator::start_with_env(sandbox, args, &[]).await
    }

    async fn start_with_env(sandbox: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> Operator {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sirops"));
        command
            .args([
                "--log-format",
                "json",
                "reconcile",
                "--interval",
                "1s",
                "--listen",
                "127.0.0.1:0",
            ])
            .args(args)
            .current_dir(sandbox.path())
            .env_clear()
            .envs(sandbox.sirops_env())
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().unwrap();
        let logs: Arc<Mutex<Vec<Value>>> = Arc::default();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let kept = logs.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let entry = serde_json::from_str(&line)
                    .unwrap_or_else(|_| panic!("a log line that is not JSON: {line}"));
                kept.lock().unwrap().push(entry);
            }
        });
        let address = wait_until("the health and metrics address", || {
            logs.lock().unwrap().iter().find_map(|entry| {
                entry["address"]
                    .as_str()
                    .map(|address| address.parse().unwrap())
            })
        })
        .await;
        Operator {
            child,
            address,
            logs,
        }
    }

    fn rounds_finished(&self) -> usize {
        self.logs
            .lock()
            .unwrap()
            .iter()
            .filter(|entry| {
                matches!(
                    entry["message"].as_str(),
                    Some("round finished" | "round failed; nothing was changed")
                )
            })
            .count()
    }

    /// Waits until `count` more rounds have finished than now.
    async fn wait_rounds(&self, count: usize) {
        let target = self.rounds_finished() + count;
        wait_until(&format!("{count} more rounds"), || {
            (self.rounds_finished() >= target).then_some(())
        })
        .await;
    }

    async fn get(&self, path: &str) -> (u16, String) {
        raw_request(self.address, "GET", path, "").await
    }

    async fn metrics(&self) -> Vec<Sample> {
        let (status, text) = self.get("/metrics").await;
        assert_eq!(status, 200, "{text}");
        parse_prometheus_text(&text)
    }

    /// SIGTERM; returns the exit code and how long the exit took.
    async fn terminate(mut self) -> (i32, Duration) {
        let pid = self.child.id().unwrap().to_string();
        let sent = Instant::now();
        assert!(
            std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let status = tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .expect("exits after SIGTERM")
            .unwrap();
        (status.code().unwrap_or(-1), sent.elapsed())
    }
}

/// One sample of the Prometheus text format: name, labels, value.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

/// Parses the Prometheus text exposition format strictly: every line is a `# HELP`, a
/// `# TYPE` with a known type that comes before its samples, or a sample whose metric was
/// typed; names and labels follow the format's grammar.
fn parse_prometheus_text(text: &str) -> Vec<Sample> {
    let name = regex::Regex::new(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$").unwrap();
    let sample =
        regex::Regex::new(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$").unwrap();
    let label = regex::Regex::new(r#"^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"$"#).unwrap();
    let mut types = std::collections::BTreeMap::<String, String>::new();
    let mut samples = Vec::new();
    for line in text.lines().filter(|line| !line.is_empty()) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (metric, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(name.is_match(metric), "{line}");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            assert!(
                types.insert(metric.to_string(), kind.to_string()).is_none(),
                "typed twice: {line}"
            );
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        assert!(!line.starts_with('#'), "unexpected comment: {line}");
        let captures = sample
            .captures(line)
            .unwrap_or_else(|| panic!("not a sample: {line}"));
        let metric = captures[1].to_string();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| {
                metric
                    .strip_suffix(suffix)
                    .filter(|base| types.get(*base).is_some_and(|kind| kind == "histogram"))
            })
            .unwrap_or(&metric);
        assert!(types.contains_key(family), "sample before its TYPE: {line}");
        let labels = captures.get(2).map_or(Vec::new(), |labels| {
            labels
                .as_str()
                .split(',')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let parts = label
                        .captures(pair)
                        .unwrap_or_else(|| panic!("bad label {pair:?} in {line}"));
                    (parts[1].to_string(), parts[2].to_string())
                })
                .collect()
        });
        let value = match &captures[3] {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            number => number
                .parse()
                .unwrap_or_else(|_| panic!("bad value in {line}")),
        };
        samples.push(Sample {
            name: metric,
            labels,
            value,
        });
    }
    samples
}

/// The value of the sample with that name and those labels (among possibly more).
fn value_of(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|sample| {
            sample.name == name
                && labels.iter().all(|(key, value)| {
                    sample
                        .labels
                        .iter()
                        .any(|(have_key, have_value)| have_key == key && have_value == value)
                })
        })
        .map(|sample| sample.value)
}

/// A git repository with these cases applied and their ids written back and committed.
async fn applied(names: &[&str]) -> Sandbox {
    let sandbox = Sandbox::with_manifests(names).await;
    git(sandbox.path(), &["init", "-q"]);
    commit_all(&sandbox, "cases");
    sandbox.apply(&["--write-back"]).await.expect_code(0);
    commit_all(&sandbox, "record the case ids");
    sandbox
}

fn responder(sandbox: &Sandbox) -> aws_sdk_securityir::Client {
    client_as(
        &sandbox.emulator.endpoint_url(),
        "AKIDRESPONDER",
        "us-east-1",
    )
}

#[tokio::test]
async fn drift_is_notified_once_and_self_heal_reverts_it() {
    let sandbox = applied(&["payroll"]).await;
    let case_id = sandbox.recorded_case_id("payroll").unwrap();
    let webhook = Webhook::start().await;
    let operator = Operator::start(&sandbox, &["--self-heal", "--notify", &webhook.url]).await;
    operator.wait_rounds(1).await;
    assert!(
        webhook.events().is_empty(),
        "in sync: {:?}",
        webhook.events()
    );

    update_title(&responder(&sandbox), &case_id, "Retitled in the console")
        .await
        .unwrap();
    let detected = webhook.wait_for("drift_detected").await;
    assert_eq!(detected["case"]["name"], "payroll", "{detected}");
    assert_eq!(detected["case"]["caseId"], case_id.as_str(), "{detected}");
    assert_eq!(detected["fields"][0]["field"], "title", "{detected}");
    assert_eq!(detected["fields"][0]["cause"], "drift", "{detected}");
    let principal = detected["fields"][0]["edits"][0]["principal"]
        .as_str()
        .unwrap();
    assert!(principal.ends_with("user/AKIDRESPONDER"), "{detected}");
    assert!(detected["fields"][0]["edits"][0]["time"].is_string());
    assert!(
        !detected.to_string().contains("Retitled in the console"),
        "events carry no values: {detected}"
    );

    webhook.wait_for("drift_resolved").await;
    operator.wait_rounds(3).await;
    assert_eq!(
        webhook.of_kind("drift_detected").len(),
        1,
        "{:?}",
        webhook.events()
    );
    assert_eq!(
        webhook.of_kind("drift_resolved").len(),
        1,
        "{:?}",
        webhook.events()
    );
    assert_eq!(webhook.events().len(), 2, "{:?}", webhook.events());
    let live = sandbox.live_case(&case_id).await;
    assert_eq!(live.title(), Some("Incident payroll"), "reverted to git");

    let (code, took) = operator.terminate().await;
    assert_eq!(code, 0);
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[tokio::test]
async fn without_self_heal_drift_is_reported_and_left_and_metrics_show_every_state() {
    let sandbox = applied(&["payroll", "phishing", "quiet"]).await;
    // A change in git, not yet applied, and an edit made outside git.
    let manifest = sandbox.read_manifest("phishing");
    sandbox.write_manifest(
        "phishing",
        &manifest.replace("What happened to phishing.", "What we know now."),
    );
    commit_all(&sandbox, "phishing: what we know");
    let payroll = sandbox.recorded_case_id("payroll").unwrap();
    update_title(&responder(&sandbox), &payroll, "Retitled in the console")
        .await
        .unwrap();

    let webhook = Webhook::start().await;
    let operator = Operator::start(&sandbox, &["--notify", &webhook.url]).await;
    operator.wait_rounds(2).await;
    let samples = operator.metrics().await;
    for (state, count) in [
        ("in_sync", 1.0),
        ("drift", 1.0),
        ("pending_change", 1.0),
        ("conflict", 0.0),
        ("error", 0.0),
    ] {
        assert_eq!(
            value_of(&samples, "sirops_cases", &[("state", state)]),
            Some(count),
            "{state}: {samples:?}"
        );
    }
    assert!(value_of(&samples, "sirops_rounds_total", &[("result", "success")]).unwrap() >= 2.0);
    assert!(
        value_of(
            &samples,
            "sirops_api_calls_total",
            &[("operation", "GetCase"), ("outcome", "success")]
        )
        .unwrap()
            >= 6.0
    );
    assert_eq!(
        value_of(
            &samples,
            "sirops_api_calls_total",
            &[("operation", "UpdateCase")]
        ),
        None,
        "nothing is applied without --self-heal"
    );
    assert!(value_of(&samples, "sirops_last_success_timestamp_seconds", &[]).unwrap() > 1.7e9);
    assert!(value_of(&samples, "sirops_round_duration_seconds_count", &[]).unwrap() >= 2.0);
    assert_eq!(value_of(&samples, "sirops_build_info", &[]), Some(1.0));
    assert_eq!(operator.get("/healthz").await.0, 200);
    assert_eq!(operator.get("/readyz").await.0, 200);
    assert_eq!(operator.get("/nothing-else").await.0, 404);

    let detected = webhook.wait_for("drift_detected").await;
    assert!(
        detected["summary"]
            .as_str()
            .unwrap()
            .contains("left for review"),
        "{detected}"
    );
    assert_eq!(
        webhook.events().len(),
        1,
        "pending changes are not problems"
    );
    let live = sandbox.live_case(&payroll).await;
    assert_eq!(live.title(), Some("Retitled in the console"));
    assert_eq!(operator.terminate().await.0, 0);
}

#[tokio::test]
async fn an_invalid_manifest_mid_run_writes_nothing_until_it_is_fixed() {
    let sandbox = applied(&["payroll"]).await;
    let webhook = Webhook::start().await;
    let operator = Operator::start(&sandbox, &["--self-heal", "--notify", &webhook.url]).await;
    operator.wait_rounds(1).await;

    // A new case to create, and beside it a manifest that does not validate: the round must
    // create nothing, since the project is not in a state anyone reviewed. The broken one is
    // written first, so that no round can see the newcomer without it.
    sandbox.write_manifest(
        "broken",
        "apiVersion: sirops/v1\nkind: Case\nmetadata:\n  name: broken\nspec:\n  title: [not, a, title]\n",
    );
    sandbox.write_case("newcomer", "");
    let (invalid, writes) = sandbox
        .writes_during(async {
            let event = webhook.wait_for("manifests_invalid").await;
            operator.wait_rounds(2).await;
            event
        })
        .await;
    assert!(writes.is_empty(), "{writes:?}");
    let errors = invalid["errors"].to_string();
    assert!(errors.contains("broken.yaml:6"), "file and line: {invalid}");
    let (status, body) = operator.get("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("the last round failed"), "{body}");
    assert_eq!(webhook.of_kind("manifests_invalid").len(), 1);
    let samples = operator.metrics().await;
    assert!(
        value_of(
            &samples,
            "sirops_rounds_total",
            &[("result", "invalid_manifests")]
        )
        .unwrap()
            >= 2.0
    );

    sandbox.remove_manifest("broken");
    webhook.wait_for("manifests_fixed").await;
    operator.wait_rounds(1).await;
    assert_eq!(operator.get("/readyz").await.0, 200);
    assert_eq!(
        sandbox.case_ids().await.len(),
        2,
        "the newcomer was created once"
    );
    assert_eq!(operator.terminate().await.0, 0);
}

#[tokio::test]
async fn an_unreachable_service_is_told_once_and_the_operator_keeps_going() {
    let sandbox = Sandbox::with_manifests(&["payroll"]).await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let endpoint = format!("http://{closed}");
    let webhook = Webhook::start().await;
    let operator = Operator::start_with_env(
        &sandbox,
        &["--notify", &webhook.url],
        &[
            ("AWS_ENDPOINT_URL_SECURITY_IR", &endpoint),
            ("AWS_MAX_ATTEMPTS", "1"),
        ],
    )
    .await;
    webhook.wait_for("service_unreachable").await;
    operator.wait_rounds(2).await;
    assert_eq!(webhook.events().len(), 1, "{:?}", webhook.events());
    let (status, body) = operator.get("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("cannot reach"), "{body}");
    let samples = operator.metrics().await;
    assert!(
        value_of(
            &samples,
            "sirops_rounds_total",
            &[("result", "service_error")]
        )
        .unwrap()
            >= 2.0
    );
    assert_eq!(
        value_of(&samples, "sirops_last_success_timestamp_seconds", &[]),
        Some(0.0)
    );
    assert_eq!(operator.terminate().await.0, 0);
}

#[tokio::test]
async fn sigterm_mid_apply_sends_no_new_request_and_exits_zero_in_time() {
    let sandbox = Sandbox::with_config(sirops::emulator::EmulatorConfig {
        latency: Duration::from_millis(150),
        ..Default::default()
    })
    .await;
    let names: Vec<String> = (0..30).map(|index| format!("case-{index:02}")).collect();
    sandbox.write_plain_manifests(&names);
    let operator = Operator::start(&sandbox, &["--self-heal", "--parallelism", "1"]).await;
    wait_until("the first case", || {
        let created = sandbox
            .emulator
            .stats()
            .operations_since(&sirops::emulator::StatsSnapshot::default());
        created
            .get("CreateCase")
            .is_some_and(|count| *count >= 1)
            .then_some(())
    })
    .await;
    let (code, took) = operator.terminate().await;
    assert_eq!(code, 0);
    assert!(took < Duration::from_secs(10), "{took:?}");
    let created = sandbox.case_ids().await.len();
    assert!(created < names.len(), "stopped before the end: {created}");
    let after = sandbox.emulator.stats();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        sandbox.emulator.stats().operations_since(&after).is_empty(),
        "nothing is sent after the exit"
    );

    // Whatever the stop cut short, the next run finishes it without a duplicate.
    sandbox.apply(&[]).await.expect_code(0);
    assert_eq!(sandbox.case_ids().await.len(), names.len());
}

#[tokio::test]
async fn once_exits_with_plans_codes() {
    let sandbox = Sandbox::with_manifests(&["payroll"]).await;
    let pending = sandbox
        .sirops(&["reconcile", "--once", "--detailed-exitcode"])
        .await;
    pending.expect_code(2);
    assert!(sandbox.case_ids().await.is_empty());
    sandbox
        .sirops(&["reconcile", "--once", "--detailed-exitcode", "--self-heal"])
        .await
        .expect_code(0);
    assert_eq!(sandbox.case_ids().await.len(), 1);
    sandbox
        .sirops(&["reconcile", "--once", "--detailed-exitcode"])
        .await
        .expect_code(0);
    sandbox.write_manifest(
        "payroll",
        "apiVersion: sirops/v1\nkind: Case\nmetadata:\n  name: payroll\nspec: {}\n",
    );
    let invalid = sandbox.sirops(&["reconcile", "--once"]).await;
    invalid.expect_code(1);
    let usage = sandbox
        .sirops(&["reconcile", "--notify", "ftp://example.com"])
        .await;
    usage.expect_code(1);
    assert!(
        usage.stderr.contains("http:// or https://"),
        "{}",
        usage.stderr
    );
}

#[tokio::test]
async fn a_directory_whose_link_moves_to_each_new_checkout_is_read_at_its_latest() {
    // What git-sync publishes: `repo` links to the current checkout; each new one is made
    // beside it, the link is swapped in one rename, and the old checkout deleted.
    let sandbox = Sandbox::new().await;
    let checkout = |name: &str, cases: &[&str]| {
        let directory = sandbox.path().join(name).join("cases");
        std::fs::create_dir_all(&directory).unwrap();
        for case in cases {
            std::fs::write(
                directory.join(format!("{case}.yaml")),
                crate::support::manifest(case, ""),
            )
            .unwrap();
        }
    };
    let publish = |name: &str| {
        let staged = sandbox.path().join("repo.next");
        std::os::unix::fs::symlink(name, &staged).unwrap();
        std::fs::rename(&staged, sandbox.path().join("repo")).unwrap();
    };
    checkout("first", &["payroll"]);
    publish("first");
    let repo = sandbox.path().join("repo");
    let operator = Operator::start(
        &sandbox,
        &["--self-heal", "--directory", repo.to_str().unwrap()],
    )
    .await;
    operator.wait_rounds(1).await;
    assert_eq!(sandbox.case_ids().await.len(), 1);

    checkout("second", &["payroll", "phishing"]);
    publish("second");
    std::fs::remove_dir_all(sandbox.path().join("first")).unwrap();
    operator.wait_rounds(2).await;
    assert_eq!(
        sandbox.case_ids().await.len(),
        2,
        "the new checkout was read"
    );
    let samples = operator.metrics().await;
    assert_eq!(
        value_of(&samples, "sirops_rounds_total", &[("result", "failed")]),
        Some(0.0)
    );
    assert_eq!(operator.terminate().await.0, 0);
}

#[tokio::test]
async fn once_from_cron_with_a_state_file_notifies_only_what_changed() {
    let sandbox = applied(&["payroll"]).await;
    let case_id = sandbox.recorded_case_id("payroll").unwrap();
    let webhook = Webhook::start().await;
    let state = sandbox.path().join(".sirops/reconcile-state.json");
    let state = state.to_str().unwrap();
    let once = [
        "reconcile",
        "--once",
        "--notify",
        &webhook.url,
        "--state-file",
        state,
    ];
    update_title(&responder(&sandbox), &case_id, "Retitled in the console")
        .await
        .unwrap();
    for _ in 0..3 {
        sandbox.sirops(&once).await.expect_code(0);
    }
    assert_eq!(webhook.events().len(), 1, "{:?}", webhook.events());
    assert_eq!(webhook.of_kind("drift_detected").len(), 1);

    update_title(&responder(&sandbox), &case_id, "Incident payroll")
        .await
        .unwrap();
    sandbox.sirops(&once).await.expect_code(0);
    assert_eq!(
        webhook.of_kind("drift_resolved").len(),
        1,
        "{:?}",
        webhook.events()
    );
    assert_eq!(webhook.events().len(), 2);
}
