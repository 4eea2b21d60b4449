//! What the integration tests and the benchmarks both build, so that they drive the emulator
//! and `sirops` the same way: an SDK client for an emulator, a valid CreateCase, the
//! environment that points `sirops` at an emulator, and a valid manifest.
//!
//! The benchmarks include this file by path: it may use only what every bench target has.

use aws_sdk_securityir::Client;
use aws_sdk_securityir::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_securityir::operation::create_case::builders::CreateCaseFluentBuilder;
use aws_sdk_securityir::primitives::DateTime;
use aws_sdk_securityir::types::{EngagementType, ResolverType, Watcher};

/// The configuration of a client signing as `access_key` in `region` against an emulator;
/// the caller chooses how it retries. The emulator reads who signed, never the signature.
pub fn client_config(
    endpoint_url: &str,
    access_key: &str,
    region: &str,
) -> aws_sdk_securityir::config::Builder {
    aws_sdk_securityir::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new(access_key, "secret", None, None, "tests"))
        .endpoint_url(endpoint_url)
}

pub fn watcher(email: &str) -> Watcher {
    Watcher::builder()
        .email(email)
        .build()
        .expect("email is set")
}

/// A CreateCase with every required member set.
pub fn new_case(client: &Client, title: &str) -> CreateCaseFluentBuilder {
    client
        .create_case()
        .title(title)
        .description("Credential phishing wave reported by two payroll clerks.")
        .engagement_type(EngagementType::SecurityIncident)
        .resolver_type(ResolverType::SelfValue)
        .reported_incident_start_date(DateTime::from_secs(1_795_000_000))
        .impacted_accounts("123456789012")
        .watchers(watcher("alice@example.com"))
}

/// The environment, beyond `PATH` and `HOME`, under which `sirops` talks to the emulator at
/// `endpoint_url` with test credentials.
pub fn emulator_env(endpoint_url: &str) -> [(&'static str, String); 5] {
    [
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("AWS_ENDPOINT_URL_SECURITY_IR", endpoint_url.into()),
    ]
}

/// A valid manifest with the given name and extra spec lines (YAML, indented by two).
pub fn manifest(name: &str, extra_spec: &str) -> String {
    format!(
        "apiVersion: sirops/v1
kind: Case
metadata:
  name: {name}
spec:
  title: Incident {name}
  description: |
    What happened to {name}.
  engagementType: Security Incident
  resolverType: Self
  reportedIncidentStartDate: 2026-11-20T08:00:00Z
{extra_spec}"
    )
}
