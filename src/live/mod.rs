//! The live side: the Security IR API behind a small trait, so that discovery and the executor
//! do not know whether cases come from AWS, the local emulator or a test double of plain values.
//! `aws` implements it with the real SDK; `discover` binds manifests to live cases.

pub mod aws;
pub mod discover;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;

use futures::{StreamExt, stream};

use crate::model::{CaseStatus, LiveCase};
use crate::request::Request;

/// One row of ListCases: enough to find owned cases without a GetCase for each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSummary {
    pub case_id: String,
    pub case_arn: String,
    pub status: Option<CaseStatus>,
}

/// A failed API call, as the API described it. The message is the service's own; it may name
/// values from the request, so it goes to the user's terminal, never into logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ApiError {
    pub operation: &'static str,
    /// The API's error type (`ValidationException`, ...), when the service answered.
    pub code: Option<String>,
    pub message: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{} failed: {code}: {}", self.operation, self.message),
            None => write!(f, "{} failed: {}", self.operation, self.message),
        }
    }
}

impl ApiError {
    pub fn is_not_found(&self) -> bool {
        self.code.as_deref() == Some("ResourceNotFoundException")
    }
}

/// What a request returned that later requests of the same case need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestOutcome {
    /// Set by CreateCase.
    pub created_case_id: Option<String>,
}

/// The operations sirops uses. Methods take `&self` and may run concurrently.
pub trait CaseApi: Send + Sync {
    /// `Ok(None)` when no case has that id. The returned case has `tags: None`.
    fn get_case(
        &self,
        case_id: &str,
    ) -> impl Future<Output = Result<Option<LiveCase>, ApiError>> + Send;

    fn list_tags(
        &self,
        case_arn: &str,
    ) -> impl Future<Output = Result<BTreeMap<String, String>, ApiError>> + Send;

    /// Every case the caller can see, all pages.
    fn list_cases(&self) -> impl Future<Output = Result<Vec<CaseSummary>, ApiError>> + Send;

    /// Sends one planned request. Its `caseId`/`resourceArn` must already be filled in.
    fn send(
        &self,
        request: &Request,
    ) -> impl Future<Output = Result<RequestOutcome, ApiError>> + Send;

    fn create_comment(
        &self,
        case_id: &str,
        body: &str,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;
}

/// Runs `work` on every item, at most `limit` at once, and returns the results in input order.
/// `StreamExt::buffered` keeps the order too, but a finished result queued behind a slow one
/// still holds its slot: one call waiting out a retry backoff would stall every call after it.
pub(crate) async fn map_concurrently<T, U, Fut>(
    items: impl IntoIterator<Item = T>,
    limit: usize,
    work: impl Fn(T) -> Fut,
) -> Vec<U>
where
    Fut: Future<Output = U>,
{
    let mut results: Vec<(usize, U)> = stream::iter(items.into_iter().enumerate())
        .map(|(index, item)| {
            let result = work(item);
            async move { (index, result.await) }
        })
        .buffer_unordered(limit.max(1))
        .collect()
        .await;
    results.sort_unstable_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use tokio::sync::Notify;

    use super::*;

    #[tokio::test]
    async fn a_slow_item_does_not_hold_back_the_items_after_it() {
        let started = AtomicUsize::new(0);
        let all_others_finished = Notify::new();
        let finished = AtomicUsize::new(0);
        let items = 0..6;
        let work = |item: usize| {
            let (started, finished, all_others_finished) =
                (&started, &finished, &all_others_finished);
            async move {
                started.fetch_add(1, Ordering::SeqCst);
                if item == 0 {
                    if finished.load(Ordering::SeqCst) < 5 {
                        all_others_finished.notified().await;
                    }
                } else if finished.fetch_add(1, Ordering::SeqCst) + 1 == 5 {
                    all_others_finished.notify_one();
                }
                item * 10
            }
        };
        let results =
            tokio::time::timeout(Duration::from_secs(10), map_concurrently(items, 2, work))
                .await
                .expect("the items after the slow first one never ran");
        assert_eq!(results, vec![0, 10, 20, 30, 40, 50]);
        assert_eq!(started.load(Ordering::SeqCst), 6);
    }

    #[tokio::test]
    async fn never_more_than_the_limit_at_once() {
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let results = map_concurrently(0..40, 3, |item: u64| {
            let (running, most) = (&running, &most);
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(40 - item)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                item
            }
        })
        .await;
        assert_eq!(results, (0..40).collect::<Vec<_>>());
        assert_eq!(most.load(Ordering::SeqCst), 3);
    }
}
