//! `sirops plan`: manifests + live cases -> a rendered plan, optionally saved for apply.

use anyhow::Context;

use super::args::{Format, GlobalArgs, PlanArgs};
use super::github::{GitHub, Stream};
use super::{Connection, Outcome, Shown, connect, load_valid_workspace, output};
use crate::live::CaseApi;
use crate::ops::Workspace;
use crate::ops::plan::{Endpoint, PlanOptions, check_prune_scope, make_plan};
use crate::plan::{self, Plan, RenderOptions};

pub(super) async fn run(global: &GlobalArgs, args: PlanArgs) -> anyhow::Result<Outcome> {
    let Some(workspace) =
        load_valid_workspace(&Shown::new(global, args.format.is_document()), &args.paths)?
    else {
        return Ok(Outcome::Failure);
    };
    let options = PlanOptions {
        parallelism: args.parallelism.get(),
        prune: args.prune,
        max_prune: args.max_prune,
        base: args.base.clone(),
        drift_only: args.drift,
    };
    check_prune_scope(&workspace, options.prune)?;
    let Connection {
        api,
        endpoint,
        _local,
    } = connect(global).await?;
    let plan = read_and_plan(global, &api, &workspace, &endpoint, options).await?;
    if let Some(out) = &args.out {
        crate::paths::write_atomically(out, plan::render_json(&plan).as_bytes())
            .with_context(|| format!("could not save the plan to {}", out.display()))?;
    }
    let reviewed = if args.drift {
        plan.drift_only()
    } else {
        plan.clone()
    };
    let shown = if args.redact {
        plan::redact(&reviewed)
    } else {
        reviewed
    };
    let rendered = match args.format {
        Format::Text => plan::render_text(
            &shown,
            &RenderOptions {
                color: output::stdout_color(global),
            },
        ),
        Format::Json => plan::render_json(&shown),
        Format::Markdown => plan::render_markdown(&shown),
        Format::GitlabMr => crate::ci::gitlab::merge_request_report(&shown),
    };
    let throttling = api.pacing().describe();
    let rendered = match (&throttling, args.format) {
        (Some(line), Format::Text | Format::Markdown) => format!("{rendered}\nNote: {line}.\n"),
        _ => rendered,
    };
    let github = GitHub::from_global(global);
    if args.format.is_document() {
        output::print_stdout(&rendered)?;
    } else {
        output::print_stdout(&github.guard_log(&rendered, Stream::Stdout))?;
    }
    if let (Some(line), Format::Json | Format::GitlabMr) = (&throttling, args.format) {
        eprintln!("note: {line}");
    }
    github.append_step_summary(&|| {
        let title = if args.drift {
            "sirops plan --drift"
        } else {
            "sirops plan"
        };
        format!(
            "## {title}\n\n{}\n",
            plan::render_markdown(&plan::redact(&shown))
        )
    })?;
    let plan_file = args.out.as_deref().map(|out| out.display().to_string());
    github.write_outputs(&crate::ci::github::plan_outputs(
        &plan,
        plan_file.as_deref(),
    ))?;
    Ok(if plan.has_errors() {
        Outcome::Failure
    } else if args.detailed_exitcode
        && if args.drift {
            plan.has_drift()
        } else {
            plan.has_changes()
        }
    {
        Outcome::ChangesPresent
    } else {
        Outcome::Success
    })
}

/// The plan, with a progress counter while the live cases are read.
pub(super) async fn read_and_plan<A: CaseApi>(
    global: &GlobalArgs,
    api: &A,
    workspace: &Workspace,
    endpoint: &Endpoint,
    options: PlanOptions,
) -> anyhow::Result<Plan> {
    const READING: &str = "reading live cases";
    let progress = output::progress(global, READING);
    let on_read = || {
        progress.inc(1);
        output::show_pacing(&progress, READING, &api.pacing());
    };
    let plan = make_plan(api, workspace, endpoint, options, &on_read).await;
    progress.finish_and_clear();
    Ok(plan?)
}
