//! Binding manifests to live cases (design section 3) with as few reads as the rules allow:
//! one GetCase per manifest bound by `metadata.caseId`, a tag read only where the manifest
//! manages tags, and ListCases plus a tag read per unbound live case only when some manifest is
//! unbound or orphans are wanted (`--prune`).

use std::collections::{BTreeMap, BTreeSet};

use super::{ApiError, CaseApi, CaseSummary, map_concurrently};
use crate::model::{DesiredCase, LiveCase, OWNERSHIP_TAG_KEY};
use crate::plan::{Binding, PlanInput};

#[derive(Debug, Clone, Copy)]
pub struct DiscoverOptions {
    /// How many reads run at once.
    pub parallelism: usize,
    /// Also find owned cases whose manifest is gone.
    pub prune: bool,
}

/// Reads the live side for these manifests. A read that fails for one manifest becomes that
/// manifest's `Binding::Failed`; a failure of ListCases (which every unbound manifest depends
/// on) fails the whole discovery, since planning creates without it could duplicate cases.
pub async fn discover<A: CaseApi>(
    api: &A,
    desired: Vec<DesiredCase>,
    options: DiscoverOptions,
    on_read: &(dyn Fn() + Send + Sync),
) -> Result<PlanInput, ApiError> {
    let parallelism = options.parallelism.max(1);
    let bound_ids: BTreeSet<String> = desired
        .iter()
        .filter_map(|case| case.case_id.clone())
        .collect();
    let needs_listing = options.prune || desired.iter().any(|case| case.case_id.is_none());

    let owned = if needs_listing {
        let listed = api.list_cases().await?;
        on_read();
        owned_cases(api, listed, &bound_ids, parallelism, on_read).await?
    } else {
        BTreeMap::new()
    };

    let manifest_names: BTreeSet<String> = desired.iter().map(|case| case.name.clone()).collect();
    let owned_ref = &owned;
    let manifests = map_concurrently(desired, parallelism, |case| async move {
        let binding = bind(api, &case, owned_ref, on_read).await;
        (case, binding)
    })
    .await;

    let orphans = if options.prune {
        let orphan_cases: Vec<OwnedCase> = owned
            .into_iter()
            .filter(|(name, _)| !manifest_names.contains(name))
            .flat_map(|(_, cases)| cases)
            .filter(|owned| {
                owned
                    .summary
                    .status
                    .is_none_or(|status| !status.is_closed())
            })
            .collect();
        map_concurrently(orphan_cases, parallelism, |owned| async move {
            let case = read_case(api, &owned.summary.case_id, on_read).await?;
            Ok::<_, ApiError>(case.map(|case| LiveCase {
                tags: Some(owned.tags),
                ..case
            }))
        })
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect()
    } else {
        Vec::new()
    };

    Ok(PlanInput { manifests, orphans })
}

struct OwnedCase {
    summary: CaseSummary,
    tags: BTreeMap<String, String>,
}

/// Owned cases by the manifest name in their ownership tag, excluding cases some manifest
/// already names by id.
async fn owned_cases<A: CaseApi>(
    api: &A,
    listed: Vec<CaseSummary>,
    bound_ids: &BTreeSet<String>,
    parallelism: usize,
    on_read: &(dyn Fn() + Send + Sync),
) -> Result<BTreeMap<String, Vec<OwnedCase>>, ApiError> {
    let candidates = listed
        .into_iter()
        .filter(|summary| !bound_ids.contains(&summary.case_id));
    let tagged = map_concurrently(candidates, parallelism, |summary| async move {
        let tags = api.list_tags(&summary.case_arn).await;
        on_read();
        tags.map(|tags| OwnedCase { summary, tags })
    })
    .await
    .into_iter()
    .collect::<Result<Vec<_>, _>>()?;
    let mut owned: BTreeMap<String, Vec<OwnedCase>> = BTreeMap::new();
    for case in tagged {
        if let Some(name) = case.tags.get(OWNERSHIP_TAG_KEY).cloned() {
            owned.entry(name).or_default().push(case);
        }
    }
    Ok(owned)
}

async fn read_case<A: CaseApi>(
    api: &A,
    case_id: &str,
    on_read: &(dyn Fn() + Send + Sync),
) -> Result<Option<LiveCase>, ApiError> {
    let case = api.get_case(case_id).await;
    on_read();
    case
}

async fn bind<A: CaseApi>(
    api: &A,
    desired: &DesiredCase,
    owned: &BTreeMap<String, Vec<OwnedCase>>,
    on_read: &(dyn Fn() + Send + Sync),
) -> Binding {
    let (case_id, known_tags) = match (
        &desired.case_id,
        owned.get(&desired.name).map(Vec::as_slice),
    ) {
        (Some(case_id), _) => (case_id.clone(), None),
        (None, None | Some([])) => return Binding::NotFound,
        (None, Some([only])) => (only.summary.case_id.clone(), Some(only.tags.clone())),
        (None, Some(several)) => {
            let ids: Vec<&str> = several
                .iter()
                .map(|owned| owned.summary.case_id.as_str())
                .collect();
            return Binding::Failed(format!(
                "{} cases carry the ownership tag {OWNERSHIP_TAG_KEY}={} (case ids {}); sirops will not guess which one this manifest means: set metadata.caseId to the one to keep",
                ids.len(),
                desired.name,
                ids.join(", ")
            ));
        }
    };
    let case = match read_case(api, &case_id, on_read).await {
        Ok(Some(case)) => case,
        Ok(None) => {
            return Binding::Failed(format!(
                "case {case_id} does not exist (metadata.caseId); remove caseId to create a new case, or correct it"
            ));
        }
        Err(error) => return Binding::Failed(error.to_string()),
    };
    let tags = match known_tags {
        Some(tags) => Some(tags),
        None if desired.tags.is_some() => match api.list_tags(&case.case_arn).await {
            Ok(tags) => {
                on_read();
                Some(tags)
            }
            Err(error) => return Binding::Failed(error.to_string()),
        },
        None => None,
    };
    Binding::Found(LiveCase { tags, ..case })
}
