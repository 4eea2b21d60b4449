//! `sirops import`: manifests for existing cases, bound by `metadata.caseId`.

use super::args::{GlobalArgs, ImportArgs};
use super::{Connection, Outcome, connect, output};
use crate::ops::import::import_cases;

pub(super) async fn run(global: &GlobalArgs, args: ImportArgs) -> anyhow::Result<Outcome> {
    let Connection { api, _local, .. } = connect(global).await?;
    import_cases(&api, &args.case_ids, &args.out_dir, &mut |path, case_id| {
        output::print_stdout(&format!(
            "imported case {case_id} into {}\n",
            path.display()
        ))?;
        Ok(())
    })
    .await?;
    Ok(Outcome::Success)
}
