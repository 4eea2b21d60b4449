//! `sirops import`: manifests for existing cases, bound by `metadata.caseId`.

use super::Outcome;
use super::args::{GlobalArgs, ImportArgs};

pub(super) async fn run(global: &GlobalArgs, args: ImportArgs) -> anyhow::Result<Outcome> {
    let _ = (global, args);
    anyhow::bail!("import is not available yet")
}
