//! How long `sirops validate` takes on a large repository: 10,000 manifests in 10,000 files
//! (the realistic layout, one case per file). Target: under 1 s and under 200 MB peak memory.
//! Run with `cargo bench --bench validate`; it prints numbers rather than asserting them.

use std::path::PathBuf;
use std::time::Instant;

const MANIFESTS: usize = 10_000;

fn manifest(index: usize) -> String {
    format!(
        "# yaml-language-server: $schema=../schemas/case.schema.json
apiVersion: sirops/v1
kind: Case
metadata:
  name: case-{index:05}
spec:
  title: Generated case number {index}
  description: |
    A generated case to measure validation speed. It carries every kind of field so that
    each rule runs at least once per manifest.
  engagementType: Security Incident
  resolverType: Self
  status: Detection and Analysis
  reportedIncidentStartDate: 2026-11-20T08:00:00Z
  actualIncidentStartDate: 2026-11-19T22:10:00.250Z
  watchers:
    - email: alice{index}@example.com
      name: Alice Doe
      jobTitle: CISO
    - email: bob{index}@example.com
  threatActorIpAddresses:
    - ipAddress: 198.51.100.{}
      userAgent: curl/8.4.0
    - ipAddress: 2001:DB8:0:0:0:0:0:{:X}
  impactedServices: [Amazon S3, AWS IAM]
  impactedAwsRegions: [us-east-1, eu-west-1]
  impactedAccounts: [\"{:012}\"]
  caseMetadata:
    severity: high
  tags:
    team: secops
",
        index % 256,
        index,
        index
    )
}

/// Peak resident memory of this process, from Linux's /proc (None elsewhere).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let generated = Instant::now();
    for index in 0..MANIFESTS {
        let path = dir.path().join(format!("case-{index:05}.yaml"));
        std::fs::write(path, manifest(index)).expect("write manifest");
    }
    println!("generated {MANIFESTS} files in {:?}", generated.elapsed());

    let started = Instant::now();
    let loaded = sirops::manifest::load(&[PathBuf::from(dir.path())]);
    let elapsed = started.elapsed();
    assert_eq!(
        loaded.manifests.len(),
        MANIFESTS,
        "{:?}",
        loaded.diagnostics.first()
    );
    assert!(loaded.diagnostics.is_empty());
    println!(
        "validated {MANIFESTS} manifests in {:.0} ms ({:.1} µs each)",
        elapsed.as_secs_f64() * 1000.0,
        elapsed.as_secs_f64() * 1e6 / MANIFESTS as f64
    );
    match peak_rss_kib() {
        Some(kib) => println!(
            "peak RSS (VmHWM) after validating them: {:.1} MB",
            kib as f64 / 1024.0
        ),
        None => println!("peak RSS: unavailable on this platform"),
    }
    drop(loaded);

    // The largest file sirops reads (one manifest per document): reading it must not be slow.
    let mut large = String::new();
    let mut documents = 0;
    loop {
        let document = format!("---\n{}", manifest(documents).replace("case-", "large-"));
        if large.len() + document.len() > sirops::manifest::MANIFEST_FILE_MAX_BYTES {
            break;
        }
        large.push_str(&document);
        documents += 1;
    }
    let started = Instant::now();
    let loaded =
        sirops::manifest::parse_source(std::path::Path::new("large.yaml"), large.as_bytes());
    let elapsed = started.elapsed();
    assert_eq!(loaded.manifests.len(), documents);
    println!(
        "one file of {documents} manifests, just under the 1 MiB cap, in {:.0} ms",
        elapsed.as_secs_f64() * 1000.0
    );
    match peak_rss_kib() {
        Some(kib) => println!("peak RSS (VmHWM) at the end: {:.1} MB", kib as f64 / 1024.0),
        None => println!("peak RSS: unavailable on this platform"),
    }
}
