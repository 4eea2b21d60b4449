//! The operator's metrics, in the Prometheus text format on `/metrics`. Labels take values
//! from small fixed sets (states, results, operations, error kinds): never a case name, an
//! error text or anything a case holds, so the series stay few and nothing sensitive leaks.

use std::collections::BTreeMap;

use prometheus::{
    Encoder, Gauge, GaugeVec, Histogram, HistogramOpts, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use super::state::CaseState;

/// How a round ended, as `sirops_rounds_total{result}` counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundResult {
    /// Planned (and with `--self-heal`, applied; a case that failed is counted in its state).
    Success,
    InvalidManifests,
    ServiceError,
    /// Refused or failed for another reason: a prune guard, `git pull`, the base revision.
    Failed,
}

impl RoundResult {
    pub const ALL: [RoundResult; 4] = [
        RoundResult::Success,
        RoundResult::InvalidManifests,
        RoundResult::ServiceError,
        RoundResult::Failed,
    ];

    pub fn label(self) -> &'static str {
        match self {
            RoundResult::Success => "success",
            RoundResult::InvalidManifests => "invalid_manifests",
            RoundResult::ServiceError => "service_error",
            RoundResult::Failed => "failed",
        }
    }
}

pub struct Metrics {
    registry: Registry,
    cases: IntGaugeVec,
    rounds: IntCounterVec,
    round_duration: Histogram,
    api_calls: IntCounterVec,
    last_success: Gauge,
    pub notifications: IntCounterVec,
    /// The API call counts already added, by operation and outcome: the client's counts are
    /// totals since it was made.
    counted_calls: BTreeMap<(&'static str, &'static str), u64>,
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let cases = IntGaugeVec::new(
            Opts::new(
                "sirops_cases",
                "Cases by state after the last round that planned them.",
            ),
            &["state"],
        )
        .expect("valid metric");
        let rounds = IntCounterVec::new(
            Opts::new("sirops_rounds_total", "Reconciliation rounds by result."),
            &["result"],
        )
        .expect("valid metric");
        let round_duration = Histogram::with_opts(
            HistogramOpts::new(
                "sirops_round_duration_seconds",
                "How long each round took, from reading the manifests to the last request.",
            )
            .buckets(vec![
                0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
            ]),
        )
        .expect("valid metric");
        let api_calls = IntCounterVec::new(
            Opts::new(
                "sirops_api_calls_total",
                "Security IR API calls sent, by operation and outcome (success, throttled, or the error kind).",
            ),
            &["operation", "outcome"],
        )
        .expect("valid metric");
        let last_success = Gauge::new(
            "sirops_last_success_timestamp_seconds",
            "When the last round without a global error finished, in seconds since the epoch.",
        )
        .expect("valid metric");
        let notifications = IntCounterVec::new(
            Opts::new(
                "sirops_notifications_total",
                "Notifications by outcome: delivered, failed (after retries) or dropped (queue full).",
            ),
            &["outcome"],
        )
        .expect("valid metric");
        let build_info = GaugeVec::new(
            Opts::new(
                "sirops_build_info",
                "Always 1; the labels say which sirops runs.",
            ),
            &["version"],
        )
        .expect("valid metric");
        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1.0);
        for metric in [
            Box::new(cases.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(rounds.clone()),
            Box::new(round_duration.clone()),
            Box::new(api_calls.clone()),
            Box::new(last_success.clone()),
            Box::new(notifications.clone()),
            Box::new(build_info),
        ] {
            registry
                .register(metric)
                .expect("each metric is registered once");
        }
        // Every series a dashboard needs exists from the start, at zero.
        for state in CaseState::ALL {
            cases.with_label_values(&[state.label()]).set(0);
        }
        for result in RoundResult::ALL {
            rounds.with_label_values(&[result.label()]);
        }
        for outcome in ["delivered", "failed", "dropped"] {
            notifications.with_label_values(&[outcome]);
        }
        Metrics {
            registry,
            cases,
            rounds,
            round_duration,
            api_calls,
            last_success,
            notifications,
            counted_calls: BTreeMap::new(),
        }
    }

    /// Records a finished round: its result and duration, the cases' states when it planned
    /// them (a round that could not plan leaves the last known states), and when it succeeded.
    pub fn record_round(
        &mut self,
        result: RoundResult,
        seconds: f64,
        states: Option<&BTreeMap<CaseState, usize>>,
        finished_epoch_seconds: f64,
    ) {
        self.rounds.with_label_values(&[result.label()]).inc();
        self.round_duration.observe(seconds);
        if let Some(states) = states {
            for (state, count) in states {
                self.cases
                    .with_label_values(&[state.label()])
                    .set(i64::try_from(*count).unwrap_or(i64::MAX));
            }
        }
        if result == RoundResult::Success {
            self.last_success.set(finished_epoch_seconds);
        }
    }

    /// Brings the API call counters up to the client's totals.
    pub fn record_calls(&mut self, totals: &BTreeMap<(&'static str, &'static str), u64>) {
        for (&(operation, outcome), &total) in totals {
            let counted = self.counted_calls.entry((operation, outcome)).or_default();
            if total > *counted {
                self.api_calls
                    .with_label_values(&[operation, outcome])
                    .inc_by(total - *counted);
                *counted = total;
            }
        }
    }

    /// The text `/metrics` serves.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buffer)
            .expect("the text encoder writes to memory");
        String::from_utf8(buffer).expect("the text format is UTF-8")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// The content type of [`Metrics::render`].
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_cases_and_calls_show_in_the_text() {
        let mut metrics = Metrics::new();
        let states = BTreeMap::from([(CaseState::InSync, 3), (CaseState::Drift, 1)]);
        metrics.record_round(RoundResult::Success, 0.3, Some(&states), 1_700_000_000.0);
        metrics.record_round(RoundResult::ServiceError, 0.1, None, 1_700_000_100.0);
        metrics.record_calls(&BTreeMap::from([(("GetCase", "success"), 4)]));
        metrics.record_calls(&BTreeMap::from([
            (("GetCase", "success"), 6),
            (("GetCase", "throttled"), 1),
        ]));
        let text = metrics.render();
        for line in [
            "sirops_cases{state=\"in_sync\"} 3",
            "sirops_cases{state=\"drift\"} 1",
            "sirops_cases{state=\"conflict\"} 0",
            "sirops_rounds_total{result=\"success\"} 1",
            "sirops_rounds_total{result=\"service_error\"} 1",
            "sirops_rounds_total{result=\"invalid_manifests\"} 0",
            "sirops_round_duration_seconds_count 2",
            "sirops_api_calls_total{operation=\"GetCase\",outcome=\"success\"} 6",
            "sirops_api_calls_total{operation=\"GetCase\",outcome=\"throttled\"} 1",
            "sirops_last_success_timestamp_seconds 1700000000",
            "# TYPE sirops_rounds_total counter",
            "# TYPE sirops_round_duration_seconds histogram",
        ] {
            assert!(
                text.lines().any(|got| got == line),
                "{line} missing in:\n{text}"
            );
        }
        assert!(text.contains("sirops_build_info{version=\""), "{text}");
    }
}
