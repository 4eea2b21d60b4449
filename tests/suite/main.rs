//! The integration tests, one binary: every module drives the `sirops` binary or the emulator
//! through the real AWS SDK over loopback, and links the SDK once instead of once per file.
//!
//! `support` builds what every module needs: sandboxes (a repository, an emulator on a free
//! port, `sirops` run against it), SDK clients and the SDK calls tests repeat, raw HTTP
//! exchanges, and the fixtures the benchmarks share.

mod support;

mod apply_report;
mod ci_native;
mod cli;
mod diff_properties;
mod docs;
mod drift;
mod emulator;
mod guardrails;
mod import;
mod manifests;
mod operator;
mod resilience;
mod status;
mod throttling;
mod workflows;
