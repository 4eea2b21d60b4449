//! `sirops import`: manifests for existing cases, bound by `metadata.caseId`.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};

use super::args::{GlobalArgs, ImportArgs};
use super::{Connection, Outcome, connect, output};
use crate::import::{file_names, manifest_for};
use crate::live::CaseApi;
use crate::model::LiveCase;

pub(super) async fn run(global: &GlobalArgs, args: ImportArgs) -> anyhow::Result<Outcome> {
    let Connection { api, _local } = connect(global).await?;
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
        write_new_file(&path, text.as_bytes()).with_context(|| {
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

/// Writes a file that did not exist, whole or not at all: the check before writing can be
/// overtaken by another process, so the final rename itself refuses to replace a file.
fn write_new_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temporary = tempfile::NamedTempFile::new_in(directory)?;
    temporary.write_all(contents)?;
    temporary.as_file().sync_all()?;
    temporary.persist_noclobber(path).map_err(|error| {
        if error.error.kind() == std::io::ErrorKind::AlreadyExists {
            std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!(
                    "{} appeared while importing and was not overwritten",
                    path.display()
                ),
            )
        } else {
            error.error
        }
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_is_written_and_an_existing_one_never_replaced() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("case.yaml");
        write_new_file(&path, b"first").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        let error = write_new_file(&path, b"second").unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        assert_eq!(
            std::fs::read_dir(directory.path()).unwrap().count(),
            1,
            "no temporary file is left behind"
        );
    }
}
