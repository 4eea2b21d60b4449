//! Plain HTTP/1.1 exchanges with the emulator, for what the SDK cannot send: unsigned or
//! malformed requests, the emulator's own paths, and its file server.

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

/// A header line that makes a raw request look SigV4-signed.
pub const SIGNED: &str = "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/security-ir/aws4_request, SignedHeaders=host, Signature=00\r\n";

/// `POST /_emulator/act-as-aws`: an AWS responder works a case as the JSON `body` says.
/// Returns status and the body read as JSON (`null` when it is not).
pub async fn act_as_aws(
    emulator: &sirops::emulator::RunningEmulator,
    body: &str,
) -> (u16, serde_json::Value) {
    let response = raw_exchange(
        emulator.address(),
        "POST",
        "/_emulator/act-as-aws",
        "Content-Type: application/json\r\n",
        body.as_bytes(),
    )
    .await;
    let value = serde_json::from_str(&response.body).unwrap_or_default();
    (response.status, value)
}
