//! Importing: reads existing cases by id and writes one manifest per case.
//!
//! # Guarantees
//! - Nothing is written unless every case exists and every file name is free: a case that
//!   does not exist, or a file already there (a dangling symlink included), stops the import
//!   before the first write.
//! - A file is created, never overwritten; when a write fails, the files written before it
//!   have been reported.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::import::{file_names, manifest_for};
use crate::live::{CaseApi, read_case_with_tags};
use crate::model::LiveCase;

/// Reads each case of `case_ids` (repeats once) with its tags, and writes its manifest into
/// `out_dir`, calling `on_written` with the file and the case id after each write.
pub async fn import_cases<A: CaseApi>(
    api: &A,
    case_ids: &[String],
    out_dir: &Path,
    on_written: &mut dyn FnMut(&Path, &str) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let imported = read_cases(api, case_ids).await?;
    let files = manifest_files(&imported, out_dir)?;
    for (path, text, case_id) in files {
        crate::paths::write_new(&path, text.as_bytes()).with_context(|| {
            format!(
                "could not write {}; the files reported above were written",
                path.display()
            )
        })?;
        on_written(&path, case_id)?;
    }
    Ok(())
}

async fn read_cases<A: CaseApi>(api: &A, case_ids: &[String]) -> anyhow::Result<Vec<LiveCase>> {
    let mut imported: Vec<LiveCase> = Vec::new();
    for case_id in case_ids {
        if imported.iter().any(|case| &case.case_id == case_id) {
            continue;
        }
        let Some(case) = read_case_with_tags(api, case_id).await? else {
            bail!("case {case_id} does not exist; nothing was written");
        };
        imported.push(case);
    }
    Ok(imported)
}

/// Each case's file and text, once every file name is known to be free.
fn manifest_files<'a>(
    imported: &'a [LiveCase],
    out_dir: &Path,
) -> anyhow::Result<Vec<(PathBuf, String, &'a str)>> {
    let planned = file_names(imported)?;
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("could not create {}", out_dir.display()))?;
    let mut files = Vec::new();
    for (file_name, case) in planned {
        let path = out_dir.join(file_name);
        // Without following a symlink: a dangling one is still a name that is taken.
        if path.symlink_metadata().is_ok() {
            bail!(
                "{} already exists; move it away or import into another --out-dir; nothing was written",
                path.display()
            );
        }
        files.push((path, manifest_for(case)?, case.case_id.as_str()));
    }
    Ok(files)
}
