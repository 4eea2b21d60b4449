//! `sirops plan`: manifests + live cases -> a rendered plan, optionally saved for apply.

use std::path::Path;

use anyhow::{Context, bail};

use super::args::{Format, GlobalArgs, PlanArgs};
use super::{Connection, Outcome, connect, load_valid_manifests, output};
use crate::live::CaseApi;
use crate::live::discover::{DiscoverOptions, discover};
use crate::manifest::Manifests;
use crate::plan::{self, Plan, RenderOptions};

pub(super) async fn run(global: &GlobalArgs, args: PlanArgs) -> anyhow::Result<Outcome> {
    let Some(manifests) = load_valid_manifests(&args.paths.paths) else {
        return Ok(Outcome::Failure);
    };
    refuse_empty_prune(args.prune, &manifests)?;
    let Connection { api, _local } = connect(global).await?;
    let plan = make_plan(global, &api, &manifests, args.prune, args.parallelism).await?;
    if let Some(out) = &args.out {
        write_file_atomically(out, plan::render_json(&plan).as_bytes())
            .with_context(|| format!("could not save the plan to {}", out.display()))?;
    }
    let shown = if args.redact {
        plan::redact(&plan)
    } else {
        plan.clone()
    };
    let options = RenderOptions {
        color: output::stdout_color(global),
    };
    let rendered = match args.format {
        Format::Text => plan::render_text(&shown, &options),
        Format::Json => plan::render_json(&shown),
        Format::Markdown => plan::render_markdown(&shown),
    };
    output::print_stdout(&rendered)?;
    Ok(if plan.has_errors() {
        Outcome::Failure
    } else if args.detailed_exitcode && plan.has_changes() {
        Outcome::ChangesPresent
    } else {
        Outcome::Success
    })
}

/// An empty or mistyped path must not make every owned case look orphaned.
pub(super) fn refuse_empty_prune(prune: bool, manifests: &Manifests) -> anyhow::Result<()> {
    if prune && manifests.manifests.is_empty() {
        bail!(
            "--prune needs at least one manifest: with none loaded it would close every case sirops created; check the paths"
        );
    }
    Ok(())
}

pub(super) async fn make_plan<A: CaseApi>(
    global: &GlobalArgs,
    api: &A,
    manifests: &Manifests,
    prune: bool,
    parallelism: usize,
) -> anyhow::Result<Plan> {
    let progress = output::progress(global, "reading live cases");
    let desired = manifests
        .manifests
        .iter()
        .map(|loaded| loaded.desired.clone())
        .collect();
    let on_read = || progress.inc(1);
    let input = discover(
        api,
        desired,
        DiscoverOptions { parallelism, prune },
        &on_read,
    )
    .await
    .context("could not read the live cases")?;
    progress.finish_and_clear();
    Ok(plan::build_plan(input))
}

/// Writes through a temporary file in the same directory, so a reader never sees half a file.
pub(super) fn write_file_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temporary = tempfile::NamedTempFile::new_in(directory)?;
    temporary.write_all(contents)?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|error| error.error)?;
    Ok(())
}
