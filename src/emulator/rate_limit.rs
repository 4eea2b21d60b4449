//! `--rate-limit`: the service's per-operation request quotas. Each operation of each account
//! and region has a token bucket holding up to N tokens (the burst) and refilled at N per
//! second; a request that finds the bucket empty is refused with a ThrottlingException (429,
//! `Retry-After`) before it takes any effect, as the service refuses requests over quota.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::time::Instant;

/// Requests per second per operation: one limit for every operation, and limits of their own
/// for some. No limit at all by default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RateLimits {
    pub every_operation: Option<f64>,
    pub operations: BTreeMap<String, f64>,
}

impl RateLimits {
    fn limit(&self, operation: &str) -> Option<f64> {
        self.operations
            .get(operation)
            .copied()
            .or(self.every_operation)
    }

    pub fn is_off(&self) -> bool {
        self.every_operation.is_none() && self.operations.is_empty()
    }

    /// Adds one `--rate-limit` value: `N` for every operation, `Operation=N` for one.
    pub fn add(&mut self, spec: RateLimitSpec) {
        match spec.operation {
            Some(operation) => {
                self.operations.insert(operation, spec.per_second);
            }
            None => self.every_operation = Some(spec.per_second),
        }
    }
}

/// One `--rate-limit` value.
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimitSpec {
    pub operation: Option<String>,
    pub per_second: f64,
}

impl FromStr for RateLimitSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (operation, rate) = match text.split_once('=') {
            Some((operation, rate)) => (Some(operation.trim().to_string()), rate),
            None => (None, text),
        };
        if operation
            .as_deref()
            .is_some_and(|name| name.is_empty() || !name.chars().all(|c| c.is_ascii_alphabetic()))
        {
            return Err(format!(
                "{text:?}: the operation is its API name, e.g. GetCase=10"
            ));
        }
        let per_second: f64 = rate
            .trim()
            .parse()
            .ok()
            .filter(|rate: &f64| rate.is_finite() && *rate > 0.0)
            .ok_or_else(|| {
                format!("{text:?}: the rate is a number of requests per second above 0, e.g. 10 or GetCase=2.5")
            })?;
        Ok(RateLimitSpec {
            operation,
            per_second,
        })
    }
}

impl fmt::Display for RateLimitSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.operation {
            Some(operation) => write!(f, "{operation}={}", self.per_second),
            None => write!(f, "{}", self.per_second),
        }
    }
}

/// A refused request: how long until a token is back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct OverQuota {
    pub(crate) retry_after: Duration,
}

struct Bucket {
    tokens: f64,
    refilled: Instant,
}

pub(crate) struct Limiter {
    limits: RateLimits,
    buckets: Mutex<HashMap<(String, String), Bucket>>,
}

impl fmt::Debug for Limiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limiter")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Limiter {
    pub(crate) fn new(limits: RateLimits) -> Limiter {
        Limiter {
            limits,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for one request of `operation` in `partition` (an account and region),
    /// or says how long to wait for one. Without a limit this is one lookup: the emulator's
    /// throughput must not pay for quotas it does not apply.
    pub(crate) fn admit(
        &self,
        partition: impl FnOnce() -> String,
        operation: &str,
    ) -> Result<(), OverQuota> {
        let Some(rate) = self.limits.limit(operation) else {
            return Ok(());
        };
        let partition = partition();
        // A rate under one per second still lets one request through at a time.
        let burst = rate.max(1.0);
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = buckets
            .entry((partition, operation.to_string()))
            .or_insert(Bucket {
                tokens: burst,
                refilled: now,
            });
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(OverQuota {
                retry_after: Duration::from_secs_f64((1.0 - bucket.tokens) / rate),
            })
        }
    }
}

/// The quota code of an operation's request rate, in the form Service Quotas uses (`L-` and
/// eight hex digits), stable per operation.
pub(crate) fn quota_code(operation: &str) -> String {
    let digest = hex::encode_upper(Sha256::digest(format!("security-ir/{operation}/rate")));
    format!("L-{}", &digest[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(specs: &[&str]) -> RateLimits {
        let mut limits = RateLimits::default();
        for spec in specs {
            limits.add(spec.parse().unwrap());
        }
        limits
    }

    #[test]
    fn specs_name_every_operation_or_one() {
        let limits = limits(&["10", "GetCase=2.5"]);
        assert_eq!(limits.limit("GetCase"), Some(2.5));
        assert_eq!(limits.limit("ListCases"), Some(10.0));
        assert!("0".parse::<RateLimitSpec>().is_err());
        assert!("GetCase=fast".parse::<RateLimitSpec>().is_err());
        assert!("=3".parse::<RateLimitSpec>().is_err());
        assert!(RateLimits::default().is_off());
    }

    #[tokio::test(start_paused = true)]
    async fn a_bucket_allows_its_burst_then_its_rate() {
        let limiter = Limiter::new(limits(&["GetCase=10"]));
        for _ in 0..10 {
            assert!(limiter.admit(|| "us-east-1".into(), "GetCase").is_ok());
        }
        let refused = limiter.admit(|| "us-east-1".into(), "GetCase").unwrap_err();
        assert!(refused.retry_after <= Duration::from_millis(100));
        assert!(refused.retry_after > Duration::ZERO);
        // Other operations and other partitions have buckets of their own.
        assert!(limiter.admit(|| "us-east-1".into(), "ListCases").is_ok());
        assert!(limiter.admit(|| "eu-west-1".into(), "GetCase").is_ok());
        tokio::time::advance(Duration::from_millis(500)).await;
        let admitted = (0..10)
            .filter(|_| limiter.admit(|| "us-east-1".into(), "GetCase").is_ok())
            .count();
        assert_eq!(admitted, 5, "half a second refills five tokens");
    }

    #[test]
    fn quota_codes_look_like_service_quotas_and_are_stable() {
        let code = quota_code("GetCase");
        assert!(
            regex::Regex::new("^L-[0-9A-F]{8}$")
                .unwrap()
                .is_match(&code)
        );
        assert_eq!(code, quota_code("GetCase"));
        assert_ne!(code, quota_code("ListCases"));
    }
}
