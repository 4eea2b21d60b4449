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
    let response = raw_exchange(endpoint, method, path, headers, b"").await;
    (response.status, response.body)
}

/// What a raw exchange answered.
pub struct RawResponse {
    pub status: u16,
    /// The header lines, as sent.
    pub headers: String,
    pub body: String,
}

impl RawResponse {
    /// The value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }
}

/// One plain HTTP/1.1 exchange with a body.
pub async fn raw_exchange(
    endpoint: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &str,
    body: &[u8],
) -> RawResponse {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(endpoint)
        .await
        .expect("connects");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {endpoint}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("sends");
    stream.write_all(body).await.expect("sends the body");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("reads");
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    RawResponse {
        status,
        headers: head.to_string(),
        body: body.to_string(),
    }
}

/// A client signing with its own access key, as another person would.
pub fn client_as(endpoint_url: &str, access_key: &str, region: &str) -> Client {
    let config = aws_sdk_securityir::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new(access_key, "secret", None, None, "tests"))
        .endpoint_url(endpoint_url)
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

/// A header line that makes a raw request look SigV4-signed.
pub const SIGNED: &str = "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/security-ir/aws4_request, SignedHeaders=host, Signature=00\r\n";
