//! sirops keeps AWS Security Incident Response cases in git: manifests under `cases/` are
//! reconciled with the live cases by a pure planner ([`manifest`] -> [`model`] -> [`diff`] /
//! [`status`] -> [`plan`]) and an executor ([`apply`]) that talks to the API through [`live`].
//! The [`emulator`] is a local stand-in for the service. The manifest, status machine and plan
//! formats are specified in `docs/reference.md`, the emulator's behaviour in
//! `docs/emulator.md`; the architecture follows.
//!
#![doc = include_str!("../docs/architecture.md")]

// The public surface is what the binary, the integration tests and the benchmarks use: the
// command line, the emulator they run against, and the pure planner they check with generated
// cases and manifest corpora. Everything else is crate-private, so that the compiler reports
// what nothing uses.
pub mod cli;
pub mod diff;
pub mod emulator;
pub mod manifest;
pub mod model;
pub mod request;
pub mod status;

pub(crate) mod apply;
pub(crate) mod ci;
/// The report `apply --format json` prints: its types and schema, so that a report can be
/// read back and checked.
pub use apply::report as apply_report;
pub(crate) mod import;
pub(crate) mod live;
pub(crate) mod operator;
pub(crate) mod ops;
pub(crate) mod paths;
pub(crate) mod plan;
pub(crate) mod project;
