//! `sirops refresh`: accept edits made outside git into the manifests, printing the diff.

use super::args::{GlobalArgs, RefreshArgs};
use super::{Connection, Outcome, Shown, connect, load_valid_workspace, output};
use crate::ops::plan::PlanOptions;
use crate::ops::refresh::{Refreshed, refresh};

pub(super) async fn run(global: &GlobalArgs, args: RefreshArgs) -> anyhow::Result<Outcome> {
    const READING: &str = "reading live cases";
    let Some(workspace) = load_valid_workspace(&Shown::new(global, false), &args.paths)? else {
        return Ok(Outcome::Failure);
    };
    let Connection {
        api,
        endpoint,
        _local,
    } = connect(global).await?;
    let options = PlanOptions {
        parallelism: args.parallelism.get(),
        prune: false,
        max_prune: 0,
        base: args.base.clone(),
        drift_only: false,
    };
    let progress = output::progress(global, READING);
    let on_read = || progress.inc(1);
    let refreshed = refresh(&api, &workspace, &endpoint, options, args.dry_run, &on_read).await;
    progress.finish_and_clear();
    let refreshed = refreshed?;

    output::print_stdout(&report(&refreshed, args.dry_run))?;
    Ok(if refreshed.conflicts.is_empty() {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

/// The diffs, then every conflict and left-alone case, then what was done.
fn report(refreshed: &Refreshed, dry_run: bool) -> String {
    let mut text = String::new();
    for (_, diff) in &refreshed.diffs {
        text.push_str(diff);
    }
    for conflict in &refreshed.conflicts {
        let shown = |value: &Option<serde_json::Value>| {
            value
                .as_ref()
                .map_or_else(|| "(none)".to_string(), ToString::to_string)
        };
        text.push_str(&format!(
            "conflict, not rewritten: {} {}: git has {}, the live case {}\n",
            conflict.case,
            conflict.field,
            shown(&conflict.git),
            shown(&conflict.live)
        ));
    }
    for name in &refreshed.unexplained {
        text.push_str(&format!(
            "left alone: {name} differs from its case, but no revision last applied is known to tell drift from a git change (see --base)\n"
        ));
    }
    let files = refreshed.diffs.len();
    text.push_str(&match (files, dry_run) {
        (0, _) => "No drift to accept.\n".to_string(),
        (_, true) => format!(
            "Would rewrite {} (--dry-run: nothing written).\n",
            output::plural(files, "file")
        ),
        (_, false) => format!("Rewrote {}.\n", output::plural(files, "file")),
    });
    text
}
