//! Counters behind `GET /_emulator/stats`: every AWS request received (failed ones included),
//! every error answered, every fault injected and every redundant list item, so tests can check
//! what a client actually sent.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// What `GET /_emulator/stats` returns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsSnapshot {
    /// AWS requests received, including refused and faulted ones.
    pub requests: u64,
    /// Requests per operation name (`GetCase`, ...); unknown paths count as `Unknown`.
    pub operations: BTreeMap<String, u64>,
    /// Error responses per error type (`ValidationException`, ...), injected ones included.
    pub errors: BTreeMap<String, u64>,
    /// Injected faults per kind: `ThrottlingException`, `InternalServerException`,
    /// `DroppedConnection` (before the change) and `LostResponse` (after it).
    pub faults: BTreeMap<String, u64>,
    /// Requests refused by `--rate-limit`, per operation (also counted in `errors` as
    /// `ThrottlingException`, next to injected throttling).
    #[serde(default)]
    pub throttled: BTreeMap<String, u64>,
    /// List items added while present or deleted while absent, and no-op resolver changes.
    pub redundant: u64,
    /// Cases currently stored.
    pub cases: u64,
}

impl StatsSnapshot {
    /// Requests per operation made since `earlier` was taken, without the operations that saw
    /// none.
    pub fn operations_since(&self, earlier: &StatsSnapshot) -> BTreeMap<String, u64> {
        self.operations
            .iter()
            .map(|(operation, count)| {
                let before = earlier.operations.get(operation).copied().unwrap_or(0);
                (operation.clone(), count - before)
            })
            .filter(|(_, delta)| *delta > 0)
            .collect()
    }
}

#[derive(Debug, Default)]
pub(crate) struct Stats {
    counters: Mutex<StatsSnapshot>,
}

impl Stats {
    fn update(&self, change: impl FnOnce(&mut StatsSnapshot)) {
        let mut counters = self
            .counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        change(&mut counters);
    }

    pub(crate) fn record_request(&self, operation: &str) {
        self.update(|counters| {
            counters.requests += 1;
            *counters
                .operations
                .entry(operation.to_string())
                .or_default() += 1;
        });
    }

    pub(crate) fn record_error(&self, error_type: &str) {
        self.update(|counters| *counters.errors.entry(error_type.to_string()).or_default() += 1);
    }

    pub(crate) fn record_throttled(&self, operation: &str) {
        self.update(|counters| {
            *counters.throttled.entry(operation.to_string()).or_default() += 1;
        });
    }

    pub(crate) fn record_fault(&self, fault: &str) {
        self.update(|counters| *counters.faults.entry(fault.to_string()).or_default() += 1);
    }

    pub(crate) fn record_redundant(&self, items: u64) {
        if items > 0 {
            self.update(|counters| counters.redundant += items);
        }
    }

    pub(crate) fn snapshot(&self, cases: usize) -> StatsSnapshot {
        let mut snapshot = StatsSnapshot::default();
        self.update(|counters| snapshot = counters.clone());
        snapshot.cases = cases as u64;
        snapshot
    }

    pub(crate) fn clear(&self) {
        self.update(|counters| *counters = StatsSnapshot::default());
    }
}
