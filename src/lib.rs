//! sirops keeps AWS Security Incident Response cases in git: manifests under `cases/` are
//! reconciled with the live cases by a pure planner (`manifest` -> `model` -> `diff`/`status`
//! -> `plan`) and an executor (`apply`) that talks to the API through `live`. The `emulator`
//! is a local stand-in for the service.

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
