//! sirops keeps AWS Security Incident Response cases in git: manifests under `cases/` are
//! reconciled with the live cases by a pure planner ([`manifest`] -> [`model`] -> [`diff`] /
//! [`status`] -> [`plan`]) and an executor ([`apply`]) that talks to the API through [`live`].
//! The [`emulator`] is a local stand-in for the service. The manifest, status machine and plan
//! formats are specified in `docs/reference.md`, the emulator's behaviour in
//! `docs/emulator.md`; the architecture follows.
//!
#![doc = include_str!("../docs/architecture.md")]

pub mod apply;
pub mod cli;
pub mod diff;
pub mod emulator;
pub mod import;
pub mod live;
pub mod manifest;
pub mod model;
pub mod ops;
pub mod paths;
pub mod plan;
pub mod project;
pub mod request;
pub mod status;
