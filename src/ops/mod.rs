//! The steps of each command between the arguments and the core, so that the command-line
//! edge only turns arguments into options and renders results:
//!
//! 1. [`load_workspace`]: find the project (`sirops.yaml`), read and validate the manifests.
//! 2. [`plan::make_plan`]: check the prune guards, read the live side, build the plan, bind it
//!    to its target.
//! 3. [`apply`]: check a saved plan against its target and the live cases, apply, and record
//!    case ids in the manifests (`--write-back`).
//! 4. [`import`]: read existing cases and write their manifests.
//! 5. [`refresh`]: accept edits made outside git into the manifests.
//! 6. [`status`]: join the manifests with one listing of the live cases.

pub mod apply;
pub(crate) mod git;
pub mod import;
pub mod plan;
pub mod refresh;
pub mod status;

use std::path::{Path, PathBuf};

use crate::manifest::{self, Diagnostic, Manifests};
use crate::project::{self, Project};

/// A project with its manifests read.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub project: Project,
    /// The paths read: those given, else the project's manifest root.
    pub paths: Vec<PathBuf>,
    pub manifests: Manifests,
}

impl Workspace {
    /// The manifest of that `metadata.name`.
    pub fn manifest_named(&self, name: &str) -> Option<&manifest::LoadedManifest> {
        self.manifests
            .manifests
            .iter()
            .find(|loaded| loaded.desired.name == name)
    }

    /// True when some manifest is invalid: then nothing may be sent to the API.
    pub fn has_errors(&self) -> bool {
        self.manifests.has_errors()
    }

    /// The manifests of the repository this run did not read, by name, with where each is
    /// written: empty when the run reads the whole manifest root. A case tagged for one of
    /// them is still that manifest's, not an orphan or an adoption.
    pub fn manifests_left_out(&self) -> std::collections::BTreeMap<String, String> {
        if self.project.covers_manifest_root(&self.paths) {
            return std::collections::BTreeMap::default();
        }
        let loaded: std::collections::BTreeSet<&str> = self
            .manifests
            .manifests
            .iter()
            .map(|loaded| loaded.desired.name.as_str())
            .collect();
        let root = manifest::load(&self.project.default_paths());
        root.manifests
            .iter()
            .filter(|other| !loaded.contains(other.desired.name.as_str()))
            .map(|other| (other.desired.name.clone(), other.source()))
            .collect()
    }
}

/// Finds the project from `working_directory` and reads `paths` (the manifest root when
/// empty). `Err` when `sirops.yaml` itself is invalid; invalid manifests are in the
/// workspace's diagnostics.
pub fn load_workspace(
    working_directory: &Path,
    paths: &[PathBuf],
) -> Result<Workspace, Vec<Diagnostic>> {
    let project = project::discover(working_directory)?;
    let paths = if paths.is_empty() {
        project.default_paths()
    } else {
        paths.to_vec()
    };
    let manifests = manifest::load(&paths);
    Ok(Workspace {
        project,
        paths,
        manifests,
    })
}
