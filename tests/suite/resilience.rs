//! sirops at scale and under faults: injected API faults, a killed apply and two
//! applies at once must all end with exactly one case per manifest, holding the manifest's
//! values. "Never two cases for one manifest" is the property under test.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::support::{Run, Sandbox, manifest};
use aws_sdk_securityir::Client;
use sirops::emulator::{EmulatorConfig, RateLimits};

/// Attempts per call for sirops and for the test's own reads while faults are injected. At a
/// 20% fault rate a call fails every one of ten attempts with odds of 1 in 10 million.
const MAX_ATTEMPTS: &str = "10";
const READ_ATTEMPTS: u32 = 20;
/// Rounds of `apply` allowed before a run must have converged.
const MAX_ROUNDS: usize = 5;

/// What a manifest asks for, in the form the checks compare with live state.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Expected {
    title: String,
    description: String,
    status: String,
    engagement_type: String,
    watchers: BTreeSet<String>,
    impacted_services: Vec<String>,
}

/// A manifest of the chaos mix: `round` 1 is the first version, 2 the edited one. The five
/// kinds (by `index % 5`): title and watchers change; a one-step status move plus a list field;
/// Post-incident Activities to Closed; a multi-step path to Closed plus a title; unchanged.
fn chaos_case(index: usize, round: u8) -> (String, String, Expected) {
    let name = format!("chaos-{index:03}");
    let kind = index % 5;
    let mut title = format!("Incident {name}");
    let mut watchers = vec![format!("{name}@example.com")];
    let mut services: Vec<String> = Vec::new();
    let mut status = match kind {
        1 | 3 => "Detection and Analysis",
        2 => "Post-incident Activities",
        _ => "Submitted",
    };
    if round == 2 {
        match kind {
            0 => {
                title = format!("Renamed {name}");
                watchers.push(format!("second-{name}@example.com"));
            }
            1 => {
                status = "Containment, Eradication and Recovery";
                services.push("Amazon S3".to_string());
            }
            2 => status = "Closed",
            3 => {
                title = format!("Closed out {name}");
                status = "Closed";
            }
            _ => {}
        }
    }
    let mut extra = String::new();
    if status != "Submitted" {
        extra.push_str(&format!("  status: {status}\n"));
    }
    extra.push_str("  watchers:\n");
    for watcher in &watchers {
        extra.push_str(&format!("    - email: {watcher}\n"));
    }
    if !services.is_empty() {
        extra.push_str(&format!("  impactedServices: [{}]\n", services.join(", ")));
    }
    let text = manifest(&name, &extra).replace(&format!("title: Incident {name}"), &{
        format!("title: {title}")
    });
    let expected = Expected {
        title,
        description: format!("What happened to {name}."),
        status: status.to_string(),
        engagement_type: "Security Incident".to_string(),
        watchers: watchers.into_iter().collect(),
        impacted_services: services,
    };
    (name, text, expected)
}

/// Runs `apply` until it exits 0, at most `MAX_ROUNDS` times, the first with `first_attempts`
/// attempts per call and the rest with `MAX_ATTEMPTS`. A round that fails must say which cases
/// failed, and only cases that exist. Returns the rounds run and the case failures reported.
async fn apply_until_converged(
    sandbox: &Sandbox,
    names: &BTreeSet<String>,
    first_attempts: &str,
) -> (usize, usize) {
    let mut failures = 0;
    for round in 1..=MAX_ROUNDS {
        let attempts = if round == 1 {
            first_attempts
        } else {
            MAX_ATTEMPTS
        };
        let run = sandbox
            .apply(&["--parallelism", "16", "--max-attempts", attempts])
            .await;
        match run.code {
            0 => return (round, failures),
            1 => failures += assert_failures_are_named(&run, names),
            code => panic!("apply exited {code}\n{}\n{}", run.stdout, run.stderr),
        }
    }
    panic!("apply did not converge in {MAX_ROUNDS} rounds");
}

/// A failed apply's summary ("N failed.") is followed by one line per failed case naming it.
/// Returns how many failed.
#[track_caller]
fn assert_failures_are_named(run: &Run, names: &BTreeSet<String>) -> usize {
    let context = || format!("--- stdout\n{}\n--- stderr\n{}", run.stdout, run.stderr);
    let summary = run
        .stdout
        .lines()
        .position(|line| line.starts_with("Apply complete:"))
        .unwrap_or_else(|| panic!("a failed apply printed no summary\n{}", context()));
    let lines: Vec<&str> = run.stdout.lines().collect();
    let failed: usize = lines[summary]
        .rsplit(", ")
        .next()
        .and_then(|tail| tail.strip_suffix(" failed."))
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("no failure count in the summary\n{}", context()));
    assert!(failed > 0, "exit 1 with no failed case\n{}", context());
    let failures: BTreeMap<&str, &str> = lines[summary + 1..]
        .iter()
        .filter_map(|line| line.strip_prefix("  ")?.split_once(": "))
        .filter(|(name, _)| names.contains(*name))
        .collect();
    assert_eq!(
        failures.len(),
        failed,
        "failed cases not named\n{}",
        context()
    );
    // The service only refuses a move a lost response already made; apply must see that the
    // change took effect rather than report it as failed, unless the read to check failed too.
    for (name, reason) in &failures {
        let refused =
            reason.contains("ValidationException") || reason.contains("ConflictException");
        assert!(
            !refused || reason.contains("reading the case to see whether"),
            "{name} failed on a refusal, not on exhausted retries: {reason}\n{}",
            context()
        );
    }
    failures.len()
}

/// Live state of the case behind each expected manifest, read through `client`: exactly one
/// owned case per name, none owned by another name, and every checked field as expected.
async fn assert_live_matches(
    sandbox: &Sandbox,
    client: &Client,
    expected: &BTreeMap<String, Expected>,
) {
    let owned = sandbox.owned_cases(client).await;
    let duplicates: Vec<_> = owned.iter().filter(|(_, ids)| ids.len() != 1).collect();
    assert!(duplicates.is_empty(), "duplicate cases: {duplicates:?}");
    let owned_names: BTreeSet<&String> = owned.keys().collect();
    let expected_names: BTreeSet<&String> = expected.keys().collect();
    assert_eq!(owned_names, expected_names, "cases and manifests differ");

    let reads = expected.iter().map(|(name, want)| {
        let case_id = owned[name][0].clone();
        async move {
            let live = client.get_case().case_id(&case_id).send().await.unwrap();
            let got = Expected {
                title: live.title().unwrap_or_default().to_string(),
                description: live
                    .description()
                    .unwrap_or_default()
                    .trim_end()
                    .to_string(),
                status: live.case_status().unwrap().as_str().to_string(),
                engagement_type: live.engagement_type().unwrap().as_str().to_string(),
                watchers: live
                    .watchers()
                    .iter()
                    .map(|watcher| watcher.email().to_string())
                    .collect(),
                impacted_services: live.impacted_services().to_vec(),
            };
            (name, want, got)
        }
    });
    for (name, want, got) in futures::future::join_all(reads).await {
        assert_eq!(&got, want, "case of manifest {name}");
    }
}

/// `plan --detailed-exitcode` says there is nothing to do, and an apply writes nothing.
async fn assert_converged(sandbox: &Sandbox) {
    sandbox
        .plan(&["--detailed-exitcode", "--max-attempts", "20"])
        .await
        .expect_code(0);
    let (run, writes) = sandbox
        .sirops_writes(&["apply", "--auto-approve", "--max-attempts", "20"])
        .await;
    run.expect_code(0);
    assert!(writes.is_empty(), "a converged apply wrote {writes:?}");
}

/// 200 creates with status paths, then updates, closes and 20 more creates, all against an
/// emulator that faults 20% of requests (429 with Retry-After, 500, dropped connections and
/// lost responses after the change). Lost CreateCase responses are the dangerous case: the
/// SDK's retry reuses the clientToken and the re-run finds the case by its tag. The first
/// apply gets only 2 attempts per call, so some cases exhaust their retries (odds 1 in 25 per
/// call): that run must name them, and the next must finish them.
#[tokio::test(flavor = "multi_thread")]
async fn chaos_two_hundred_manifests_converge_without_duplicates() {
    let exhausted = chaos(
        EmulatorConfig {
            fault_rate: 0.2,
            seed: 6,
            ..EmulatorConfig::default()
        },
        200,
    )
    .await;
    assert!(
        exhausted > 0,
        "no case exhausted 2 attempts at a 20% fault rate"
    );
}

/// The same faults behind a quota of 20 requests per second per operation: throttling from
/// the quota and from faults together still converge, with no duplicate.
#[tokio::test(flavor = "multi_thread")]
async fn chaos_behind_a_quota_converges_without_duplicates() {
    let rate_limits = RateLimits {
        every_operation: Some(20.0),
        ..RateLimits::default()
    };
    chaos(
        EmulatorConfig {
            fault_rate: 0.2,
            seed: 13,
            rate_limits,
            ..EmulatorConfig::default()
        },
        60,
    )
    .await;
}

/// `count` creates of the chaos mix, then the edited versions and a tenth more creates, each
/// applied until converged; every case must then hold its manifest's values, once. Returns
/// how many cases the first apply, with 2 attempts per call, reported out of retries.
async fn chaos(config: EmulatorConfig, count: usize) -> usize {
    let started = Instant::now();
    let throttled_by_quota = !config.rate_limits.is_off();
    let sandbox = Sandbox::with_config(config).await;
    let client = sandbox.retrying_client(READ_ATTEMPTS);
    let mut expected = BTreeMap::new();
    for index in 0..count {
        let (name, text, want) = chaos_case(index, 1);
        sandbox.write_manifest(&name, &text);
        expected.insert(name, want);
    }
    let everything = count + count / 10;
    let names: BTreeSet<String> = (0..everything)
        .map(|index| chaos_case(index, 2).0)
        .collect();
    let (first_rounds, exhausted) = apply_until_converged(&sandbox, &names, "2").await;
    assert_live_matches(&sandbox, &client, &expected).await;

    for index in 0..everything {
        let (name, text, want) = chaos_case(index, 2);
        sandbox.write_manifest(&name, &text);
        expected.insert(name, want);
    }
    let (second_rounds, _) = apply_until_converged(&sandbox, &names, MAX_ATTEMPTS).await;
    assert_live_matches(&sandbox, &client, &expected).await;
    assert_converged(&sandbox).await;

    let stats = sandbox.emulator.stats();
    assert!(
        stats.faults.get("LostResponse").copied().unwrap_or(0) > 0,
        "no lost response was injected: {stats:?}"
    );
    if throttled_by_quota {
        assert!(
            stats.throttled.values().sum::<u64>() > 0,
            "the quota never bit: {stats:?}"
        );
    }
    eprintln!(
        "chaos: {first_rounds} + {second_rounds} apply rounds, {exhausted} cases out of \
         retries, {} requests, faults {:?}, throttled by quota {:?}, {:.1?}",
        stats.requests,
        stats.faults,
        stats.throttled,
        started.elapsed()
    );
    exhausted
}

/// Writes the first-round chaos manifests `0..count` and returns what each asks for.
fn write_first_round(sandbox: &Sandbox, count: usize) -> BTreeMap<String, Expected> {
    (0..count)
        .map(|index| {
            let (name, text, want) = chaos_case(index, 1);
            sandbox.write_manifest(&name, &text);
            (name, want)
        })
        .collect()
}

/// Seeded kill points (a small xorshift generator), each a count of write calls in `1..below`,
/// so every trial is reproducible and interrupts the run at a different step.
fn kill_points(seed: u64, count: usize, below: u64) -> Vec<u64> {
    let mut state = seed.max(1);
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            1 + state % (below - 1)
        })
        .collect()
}

/// Write calls the emulator has answered or stored so far.
fn writes_so_far(sandbox: &Sandbox) -> u64 {
    sandbox
        .emulator
        .stats()
        .operations
        .iter()
        .filter(|(operation, _)| crate::support::WRITE_OPERATIONS.contains(&operation.as_str()))
        .map(|(_, count)| count)
        .sum()
}

/// SIGKILL `sirops apply` part way, then apply again: still one case per manifest and nothing
/// lost. Trial 0 kills as soon as the emulator has stored a CreateCase, the moment where a case
/// exists but sirops may never have learnt its id; the others kill once the emulator has seen a
/// seeded number of write calls, somewhere in the run's 60 (30 creates, 30 status moves).
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_apply_is_finished_by_the_next_without_duplicates() {
    let started = Instant::now();
    let mut points = kill_points(0x5eed, 4, 55);
    points.insert(0, 0);
    for (trial, writes_before_kill) in points.iter().copied().enumerate() {
        let sandbox = Sandbox::with_config(EmulatorConfig {
            latency: Duration::from_millis(20),
            ..EmulatorConfig::default()
        })
        .await;
        let expected = write_first_round(&sandbox, 30);
        let names: BTreeSet<String> = expected.keys().cloned().collect();
        let mut child = sandbox
            .sirops_command(&["apply", "--auto-approve", "--parallelism", "4"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        // A stored case is one the emulator acknowledged; sirops may not have read the
        // response yet.
        while sandbox.emulator.stats().cases < 1 || writes_so_far(&sandbox) < writes_before_kill {
            assert!(
                Instant::now() < deadline,
                "apply made no progress within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(
            status.code().is_none(),
            "trial {trial}: apply had already finished ({status}) when it was killed"
        );
        let stats = sandbox.emulator.stats();
        eprintln!(
            "crash trial {trial}: killed after {} writes, {} cases, calls {:?}",
            writes_so_far(&sandbox),
            stats.cases,
            stats.operations
        );

        apply_until_converged(&sandbox, &names, MAX_ATTEMPTS).await;
        assert_live_matches(&sandbox, &sandbox.client(), &expected).await;
        assert_converged(&sandbox).await;
    }
    eprintln!("crash: 5 trials in {:.1?}", started.elapsed());
}

/// Two `sirops apply` at once on the same repository of unbound manifests end with exactly one
/// case per manifest, holding the manifests' values.
///
/// What protects this is the CreateCase `clientToken`, derived from the manifest name: both
/// runs plan a create, both send the same token with the same request, and the service answers
/// both with the same case. Its limits: a token only deduplicates identical requests (two
/// different versions of a manifest applied at once could create two cases, or one run's
/// UpdateCase could interleave with the other's and leave a mix of both versions). A status
/// step one run finds already taken by the other is refused by the service; apply re-reads the
/// case, sees it at or past that step on its path, and carries on, so both runs succeed. CI
/// should still serialize applies (e.g. a GitHub Actions `concurrency` group); this test pins
/// that the same manifests applied twice at once neither duplicate a case nor fail a run.
#[tokio::test(flavor = "multi_thread")]
async fn two_concurrent_applies_of_the_same_manifests_make_one_case_each() {
    let started = Instant::now();
    let sandbox = Sandbox::with_config(EmulatorConfig {
        latency: Duration::from_millis(5),
        ..EmulatorConfig::default()
    })
    .await;
    let expected = write_first_round(&sandbox, 40);
    let children: Vec<_> = (0..2)
        .map(|_| {
            sandbox
                .sirops_command(&["apply", "--auto-approve", "--parallelism", "8"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut codes = Vec::new();
    for child in children {
        let output = child.wait_with_output().unwrap();
        let code = output.status.code().unwrap_or(-1);
        assert_eq!(
            code,
            0,
            "apply failed\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        codes.push(code);
    }
    let stats = sandbox.emulator.stats();
    eprintln!(
        "concurrent: exit codes {codes:?}, calls {:?}, {:.1?}",
        stats.operations,
        started.elapsed()
    );
    // Whether the second run also sends CreateCase depends on whether its discovery ran before
    // or after the first run's creates: either way each run creates each manifest at most once.
    let creates = stats.operations["CreateCase"];
    assert!(
        (40..=80).contains(&creates),
        "{creates} CreateCase calls for 40 manifests and two runs"
    );
    assert_live_matches(&sandbox, &sandbox.client(), &expected).await;
    assert_converged(&sandbox).await;
}
