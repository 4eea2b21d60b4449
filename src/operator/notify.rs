//! Delivering events to `--notify` URLs. Each URL has its own queue and task, so a slow or
//! failing receiver delays nobody: `send` never waits, a full queue drops the event (and counts
//! it), and each delivery is retried with backoff a few times before it is given up.

use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::http::{Request, Uri, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::event::Event;

/// Events waiting per URL before new ones are dropped: a receiver down for hours must not
/// make memory grow.
const QUEUE: usize = 256;
/// Attempts per event, with the waits between them doubling from the first.
const ATTEMPTS: u32 = 5;
const FIRST_RETRY: Duration = Duration::from_secs(1);
/// One attempt's limit, connection included.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// The payload a URL is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadFormat {
    Json,
    Slack,
}

/// `--notify-format`: the payload for every URL, or chosen by the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FormatChoice {
    /// Slack's for a Slack incoming webhook (`hooks.slack.com`), sirops's JSON otherwise.
    #[default]
    Auto,
    Json,
    Slack,
}

/// A URL to notify, checked.
#[derive(Debug, Clone)]
pub struct Target {
    pub uri: Uri,
    pub format: PayloadFormat,
}

impl Target {
    pub fn parse(url: &str, choice: FormatChoice) -> Result<Target, String> {
        let uri: Uri = url
            .parse()
            .map_err(|error| format!("--notify {url:?} is not a URL: {error}"))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err(format!(
                "--notify {url:?} must be an http:// or https:// URL with a host"
            ));
        }
        let format = match choice {
            FormatChoice::Json => PayloadFormat::Json,
            FormatChoice::Slack => PayloadFormat::Slack,
            FormatChoice::Auto if uri.host() == Some("hooks.slack.com") => PayloadFormat::Slack,
            FormatChoice::Auto => PayloadFormat::Json,
        };
        Ok(Target { uri, format })
    }

    /// The URL without its path and query: a webhook's path is its secret, so logs and
    /// metrics name the host only.
    pub fn origin(&self) -> String {
        format!(
            "{}://{}",
            self.uri.scheme_str().unwrap_or("http"),
            self.uri
                .authority()
                .map(ToString::to_string)
                .unwrap_or_default()
        )
    }
}

type HttpClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// What became of each event sent to a URL, counted by outcome: `delivered`, `failed` (given
/// up after its attempts) or `dropped` (the queue was full).
pub type DeliveryCounter = prometheus::IntCounterVec;

pub struct Notifier {
    queues: Vec<(String, mpsc::Sender<Event>)>,
    workers: Vec<JoinHandle<()>>,
    counter: DeliveryCounter,
}

impl Notifier {
    /// Starts one delivery task per target.
    pub fn start(targets: Vec<Target>, counter: DeliveryCounter) -> Result<Notifier, String> {
        let client = if targets.is_empty() {
            None
        } else {
            Some(http_client()?)
        };
        let mut queues = Vec::new();
        let mut workers = Vec::new();
        for target in targets {
            let (sender, receiver) = mpsc::channel(QUEUE);
            queues.push((target.origin(), sender));
            workers.push(tokio::spawn(deliver_all(
                client.clone().expect("made when there are targets"),
                target,
                receiver,
                counter.clone(),
            )));
        }
        Ok(Notifier {
            queues,
            workers,
            counter,
        })
    }

    /// A notifier whose one receiver is the returned channel, for tests of what is sent.
    #[cfg(test)]
    pub fn collecting(counter: DeliveryCounter) -> (Notifier, mpsc::Receiver<Event>) {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let notifier = Notifier {
            queues: vec![("test".into(), sender)],
            workers: Vec::new(),
            counter,
        };
        (notifier, receiver)
    }

    /// Queues `event` for every URL without waiting.
    pub fn send(&self, event: &Event) {
        for (origin, queue) in &self.queues {
            if queue.try_send(event.clone()).is_err() {
                self.counter.with_label_values(&["dropped"]).inc();
                tracing::warn!(
                    receiver = %origin,
                    "a notification was dropped: the receiver has not taken the ones before it"
                );
            }
        }
    }

    /// Stops taking events and gives the queued ones until `within` to be delivered.
    pub async fn finish(self, within: Duration) {
        drop(self.queues);
        let all = futures::future::join_all(self.workers);
        if tokio::time::timeout(within, all).await.is_err() {
            tracing::warn!("some notifications were not delivered before sirops stopped");
        }
    }
}

fn http_client() -> Result<HttpClient, String> {
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
        .map_err(|error| format!("could not load the system's root certificates: {error}"))?
        .https_or_http()
        .enable_http1()
        .build();
    Ok(Client::builder(TokioExecutor::new()).build(connector))
}

async fn deliver_all(
    client: HttpClient,
    target: Target,
    mut queue: mpsc::Receiver<Event>,
    counter: DeliveryCounter,
) {
    while let Some(event) = queue.recv().await {
        let body = match target.format {
            PayloadFormat::Json => event.to_json(),
            PayloadFormat::Slack => event.to_slack(),
        }
        .to_string();
        let outcome = match deliver(&client, &target, Bytes::from(body)).await {
            Ok(()) => "delivered",
            Err(error) => {
                tracing::warn!(
                    receiver = %target.origin(),
                    event = ?event.event,
                    %error,
                    "a notification could not be delivered"
                );
                "failed"
            }
        };
        counter.with_label_values(&[outcome]).inc();
    }
}

/// One event to one URL, retried with backoff on a connection failure, a timeout, a 429 or a
/// 5xx; another 4xx is the receiver refusing the payload, which sending again will not change.
async fn deliver(client: &HttpClient, target: &Target, body: Bytes) -> Result<(), String> {
    let mut wait = FIRST_RETRY;
    let mut attempt = 1;
    loop {
        let request = Request::post(target.uri.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .header(
                header::USER_AGENT,
                concat!("sirops/", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(body.clone()))
            .map_err(|error| error.to_string())?;
        let (retryable, error) =
            match tokio::time::timeout(ATTEMPT_TIMEOUT, client.request(request)).await {
                Ok(Ok(response)) if response.status().is_success() => return Ok(()),
                Ok(Ok(response)) => {
                    let status = response.status();
                    (
                        status.is_server_error() || status.as_u16() == 429,
                        format!("the receiver answered {status}"),
                    )
                }
                Ok(Err(error)) => (true, format!("could not send: {error}")),
                Err(_) => (
                    true,
                    format!("no answer within {}s", ATTEMPT_TIMEOUT.as_secs()),
                ),
            };
        if !retryable || attempt == ATTEMPTS {
            return Err(format!("{error} (attempt {attempt} of {ATTEMPTS})"));
        }
        tokio::time::sleep(wait).await;
        wait *= 2;
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_webhooks_get_slacks_payload_unless_told_otherwise() {
        let slack = "https://hooks.slack.com/services/T000/B000/XXXX";
        assert_eq!(
            Target::parse(slack, FormatChoice::Auto).unwrap().format,
            PayloadFormat::Slack
        );
        assert_eq!(
            Target::parse(slack, FormatChoice::Json).unwrap().format,
            PayloadFormat::Json
        );
        let hook = "http://127.0.0.1:9000/hook";
        assert_eq!(
            Target::parse(hook, FormatChoice::Auto).unwrap().format,
            PayloadFormat::Json
        );
        assert_eq!(
            Target::parse(hook, FormatChoice::Slack).unwrap().format,
            PayloadFormat::Slack
        );
    }

    #[test]
    fn only_http_urls_with_a_host_are_taken() {
        for bad in [
            "ftp://example.com/x",
            "/relative",
            "example.com/hook",
            "http://",
        ] {
            assert!(Target::parse(bad, FormatChoice::Auto).is_err(), "{bad}");
        }
    }

    /// A receiver that answers 500 to its first `failures` posts, then 200; returns its URL
    /// and the bodies it accepted.
    async fn flaky_receiver(
        failures: usize,
    ) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::{Arc, Mutex};
        let accepted: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = Arc::new(AtomicUsize::new(0));
        let kept = accepted.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |body: String| {
                let (kept, seen) = (kept.clone(), seen.clone());
                async move {
                    if seen.fetch_add(1, Ordering::SeqCst) < failures {
                        return hyper::StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    kept.lock().unwrap().push(body);
                    hyper::StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{address}/hook"), accepted)
    }

    fn counter() -> DeliveryCounter {
        prometheus::IntCounterVec::new(prometheus::Opts::new("test", "test"), &["outcome"]).unwrap()
    }

    fn event() -> Event {
        Event::service_unreachable(
            "cannot reach the endpoint",
            true,
            crate::model::Timestamp::from_epoch_millis(1_800_000_000_000),
        )
    }

    #[tokio::test]
    async fn a_failed_delivery_is_retried_and_delivered_once() {
        let (url, accepted) = flaky_receiver(1).await;
        let counter = counter();
        let notifier = Notifier::start(
            vec![Target::parse(&url, FormatChoice::Auto).unwrap()],
            counter.clone(),
        )
        .unwrap();
        notifier.send(&event());
        notifier.finish(Duration::from_secs(10)).await;
        let accepted = accepted.lock().unwrap().clone();
        assert_eq!(accepted.len(), 1, "{accepted:?}");
        let body: serde_json::Value = serde_json::from_str(&accepted[0]).unwrap();
        assert_eq!(body["event"], "service_unreachable");
        assert_eq!(counter.with_label_values(&["delivered"]).get(), 1);
        assert_eq!(counter.with_label_values(&["failed"]).get(), 0);
    }

    #[tokio::test]
    async fn a_receiver_that_never_answers_delays_nothing_and_overflow_is_counted() {
        // Accepts connections and never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let _held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                open.push(socket);
            }
        });
        let counter = counter();
        let notifier = Notifier::start(
            vec![Target::parse(&format!("http://{address}/hook"), FormatChoice::Auto).unwrap()],
            counter.clone(),
        )
        .unwrap();
        let started = std::time::Instant::now();
        for _ in 0..QUEUE + 10 {
            notifier.send(&event());
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "send never waits"
        );
        assert!(counter.with_label_values(&["dropped"]).get() >= 9);
        let stopping = std::time::Instant::now();
        notifier.finish(Duration::from_millis(200)).await;
        assert!(
            stopping.elapsed() < Duration::from_secs(2),
            "finish keeps its limit"
        );
    }

    #[test]
    fn a_webhooks_secret_path_is_not_its_name() {
        let target = Target::parse(
            "https://hooks.slack.com/services/T000/B000/secret",
            FormatChoice::Auto,
        )
        .unwrap();
        assert_eq!(target.origin(), "https://hooks.slack.com");
    }
}
