//! `sirops import`: manifests for existing cases, bound by `metadata.caseId`.

use anyhow::{Context, bail};

use super::args::{GlobalArgs, ImportArgs};
use super::{Connection, Outcome, connect, output};
use crate::import::{file_names, manifest_for};
use crate::live::CaseApi;
use crate::model::LiveCase;

pub(super) async fn run(global: &GlobalArgs, args: ImportArgs) -> anyhow::Result<Outcome> {
    let Connection { api, _local, .. } = connect(global).await?;
    let mut imported: Vec<LiveCase> = Vec::new();
    for case_id in &args.case_ids {
        if imported.iter().any(|case| &case.case_id == case_id) {
            continue;
        }
        let Some(case) = api.get_case(case_id).await? else {
            bail!("case {case_id} does not exist; nothing was written");
        };
        let tags = api.list_tags(&case.case_arn).await?;
        imported.push(LiveCase {
            tags: Some(tags),
            ..case
        });
    }
    let planned = file_names(&imported)?;
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("could not create {}", args.out_dir.display()))?;
    let mut files = Vec::new();
    for (file_name, case) in planned {
        let path = args.out_dir.join(file_name);
        // Without following a symlink: a dangling one is still a name that is taken.
        if path.symlink_metadata().is_ok() {
            bail!(
                "{} already exists; move it away or import into another --out-dir; nothing was written",
                path.display()
            );
        }
        files.push((path, manifest_for(case)?, &case.case_id));
    }
    for (path, text, case_id) in files {
        crate::paths::write_new(&path, text.as_bytes()).with_context(|| {
            format!(
                "could not write {}; the files reported above were written",
                path.display()
            )
        })?;
        output::print_stdout(&format!(
            "imported case {case_id} into {}\n",
            path.display()
        ))?;
    }
    Ok(Outcome::Success)
}
