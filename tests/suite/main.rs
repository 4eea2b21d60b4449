//! The integration tests, one binary: every module drives the `sirops` binary or the emulator
//! through the real AWS SDK over loopback, and links the SDK once instead of once per file.
//!
//! `support` builds sandboxes (a repository, an emulator on a free port, `sirops` run against
//! it, SDK clients to look at live state); `emulator` has its own helpers for driving the
//! emulator directly.

mod support;

mod cli;
mod diff_properties;
mod docs;
mod emulator;
mod guardrails;
mod import;
mod manifests;
mod resilience;
mod throttling;
