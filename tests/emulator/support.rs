//! Builders shared by the emulator tests: an emulator on a free port, an SDK client for it, and
//! a valid CreateCase request.

use aws_sdk_securityir::Client;
use aws_sdk_securityir::config::retry::RetryConfig;
use aws_sdk_securityir::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_securityir::operation::create_case::builders::CreateCaseFluentBuilder;
use aws_sdk_securityir::primitives::DateTime;
use aws_sdk_securityir::types::{EngagementType, ResolverType, Watcher};
use sirops::emulator::{Emulator, EmulatorConfig, RunningEmulator};

pub async fn start() -> RunningEmulator {
    start_with(EmulatorConfig::default()).await
}

pub async fn start_with(config: EmulatorConfig) -> RunningEmulator {
    Emulator::start(config).await.expect("the emulator starts")
}

/// A client that reports every failure as it comes: no retries, so tests see raw errors.
pub fn client(endpoint_url: &str) -> Client {
    client_with_retries(endpoint_url, RetryConfig::disabled())
}

pub fn client_with_retries(endpoint_url: &str, retry: RetryConfig) -> Client {
    let config = aws_sdk_securityir::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "AKIDEMULATORTEST",
            "secret",
            None,
            None,
            "tests",
        ))
        .endpoint_url(endpoint_url)
        .retry_config(retry)
        .build();
    Client::from_conf(config)
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

pub async fn create(client: &Client, title: &str) -> String {
    new_case(client, title)
        .send()
        .await
        .expect("CreateCase succeeds")
        .case_id()
        .to_string()
}

/// One plain HTTP/1.1 exchange, for the paths the SDK cannot send. Returns status and body.
pub async fn raw_request(
    endpoint: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &str,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(endpoint)
        .await
        .expect("connects");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {endpoint}\r\n{headers}Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("sends");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("reads");
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let body = response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    (status, body)
}

/// A header line that makes a raw request look SigV4-signed.
pub const SIGNED: &str = "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/security-ir/aws4_request, SignedHeaders=host, Signature=00\r\n";
