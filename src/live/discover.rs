//! Reading the live side for a plan with as few reads as the rules allow: a GetCase and a tag
//! read per manifest bound by `metadata.caseId` (the tags say whether the case is this
//! manifest's, someone else's, or nobody's yet), and ListCases plus a tag read per listed case
//! only when some manifest is unbound or orphans are wanted (`--prune`); a case whose tags the
//! listing already read is not asked again. What the reads mean is decided by the pure rules
//! of [`crate::plan::bind`].

use std::collections::BTreeSet;

use super::{ApiError, CaseApi, CaseSummary, map_concurrently};
use crate::model::{DesiredCase, LiveCase};
use crate::plan::bind::{self, Binding, Claims, Lookup, TaggedCase};
use crate::plan::{Orphan, PlanInput};

#[derive(Debug, Clone, Copy)]
pub struct DiscoverOptions {
    /// How many reads run at once.
    pub parallelism: usize,
    /// Also find owned cases whose manifest is gone.
    pub prune: bool,
}

/// Reads the live side for these manifests. A read that fails for one case becomes that case's
/// `Binding::Failed` (or a failed orphan), so one unreadable case does not hold the others
/// back. A failure that no case can get past (no credentials, an unreachable endpoint, see
/// [`ApiError::stops_every_call`]) ends discovery, and so does a failure of the ListCases scan,
/// which every unbound manifest depends on: planning creates without it could duplicate cases.
pub async fn discover<A: CaseApi>(
    api: &A,
    desired: Vec<DesiredCase>,
    claims: &Claims,
    options: DiscoverOptions,
    on_read: &(dyn Fn() + Send + Sync),
) -> Result<PlanInput, ApiError> {
    let parallelism = options.parallelism.max(1);
    let needs_listing = options.prune || desired.iter().any(|case| case.case_id.is_none());
    let mut accounts = BTreeSet::new();

    let tagged = if needs_listing {
        let (tagged, listed_accounts) = list_tagged_cases(api, parallelism, on_read).await?;
        accounts.extend(listed_accounts);
        tagged
    } else {
        Vec::new()
    };

    let tagged_ref = &tagged;
    let arns = &CaseArns::default();
    let manifests = map_concurrently(desired, parallelism, |case| async move {
        let binding = bind_one(api, &case, claims, tagged_ref, arns, on_read).await;
        (case, binding)
    })
    .await;
    let mut bound = Vec::with_capacity(manifests.len());
    for (case, binding) in manifests {
        let binding = binding?;
        if let Binding::Found { live, .. } = &binding {
            accounts.extend(account_of(&live.case_arn));
        }
        bound.push((case, binding));
    }

    let orphans = if options.prune {
        let candidates = bind::orphans(claims, &tagged);
        let read = map_concurrently(candidates, parallelism, |orphan| async move {
            match read_case(api, &orphan.case_id, on_read).await {
                Ok(Some(case)) => Ok(Some(Orphan::Found(LiveCase {
                    tags: Some(orphan.tags.clone()),
                    ..case
                }))),
                // Closed or deleted since the listing: nothing to prune.
                Ok(None) => Ok(None),
                Err(error) if error.stops_every_call() => Err(error),
                Err(error) => Ok(Some(Orphan::Unreadable {
                    case_id: orphan.case_id.clone(),
                    name: bind::Owner::of(&orphan.tags).name.map(str::to_string),
                    error: error.to_string(),
                })),
            }
        })
        .await;
        read.into_iter()
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect()
    } else {
        Vec::new()
    };

    Ok(PlanInput {
        scope: claims.scope.clone(),
        manifests: bound,
        orphans,
        account: accounts.into_iter().next(),
        ..PlanInput::default()
    })
}

/// The account of a case ARN (`arn:aws:security-ir:REGION:ACCOUNT:case/ID`).
pub fn account_of(case_arn: &str) -> Option<String> {
    case_arn
        .split(':')
        .nth(4)
        .filter(|account| !account.is_empty())
        .map(str::to_string)
}

/// Every case the caller can see with its tags, and the accounts their ARNs name. Cases a
/// manifest names by id are scanned too: another manifest may carry their tag (a case claimed
/// twice), and their own reads then need no second tag read.
pub async fn list_tagged_cases<A: CaseApi>(
    api: &A,
    parallelism: usize,
    on_read: &(dyn Fn() + Send + Sync),
) -> Result<(Vec<TaggedCase>, BTreeSet<String>), ApiError> {
    let listed = api.list_cases().await?;
    on_read();
    let accounts = listed
        .iter()
        .filter_map(|case| account_of(&case.case_arn))
        .collect();
    let tagged = scan_tags(api, listed, parallelism, on_read).await?;
    Ok((tagged, accounts))
}

async fn scan_tags<A: CaseApi>(
    api: &A,
    listed: Vec<CaseSummary>,
    parallelism: usize,
    on_read: &(dyn Fn() + Send + Sync),
) -> Result<Vec<TaggedCase>, ApiError> {
    map_concurrently(listed, parallelism, |summary| async move {
        let tags = api.list_tags(&summary.case_arn).await;
        on_read();
        tags.map(|tags| TaggedCase {
            case_id: summary.case_id,
            case_arn: summary.case_arn,
            status: summary.status,
            tags,
        })
    })
    .await
    .into_iter()
    .collect()
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

/// The ARN of a case from its id, once one case's ARN has been read: the cases of one account
/// and region share everything before `case/<id>`. Only ever a guess to save a round trip:
/// a tag read sent to it counts only when GetCase returns the same ARN.
#[derive(Default)]
struct CaseArns {
    prefix: std::sync::OnceLock<String>,
}

impl CaseArns {
    fn learn(&self, case_arn: &str, case_id: &str) {
        if let Some(prefix) = case_arn.strip_suffix(case_id)
            && prefix.ends_with(":case/")
        {
            let _ = self.prefix.set(prefix.to_string());
        }
    }

    fn guess(&self, case_id: &str) -> Option<String> {
        self.prefix.get().map(|prefix| format!("{prefix}{case_id}"))
    }
}

/// One manifest's binding; `Err` only for a failure that stops every call.
async fn bind_one<A: CaseApi>(
    api: &A,
    desired: &DesiredCase,
    claims: &Claims,
    tagged: &[TaggedCase],
    arns: &CaseArns,
    on_read: &(dyn Fn() + Send + Sync),
) -> Result<Binding, ApiError> {
    let (case_id, known_tags, renamed_from) = match bind::lookup(desired, claims, tagged) {
        Lookup::ById(case_id) => {
            let scanned = tagged
                .iter()
                .find(|case| case.case_id == case_id)
                .map(|case| case.tags.clone());
            (case_id, scanned, None)
        }
        Lookup::ByTag {
            index,
            renamed_from,
        } => (
            tagged[index].case_id.clone(),
            Some(tagged[index].tags.clone()),
            renamed_from,
        ),
        Lookup::NotFound => return Ok(Binding::NotFound),
        Lookup::Refused(message) => return Ok(Binding::Failed(message)),
    };
    let read = read_case_and_tags(api, desired, &case_id, known_tags, arns, on_read).await;
    match read {
        Ok(live) => Ok(bind::classify(desired, claims, live, renamed_from)),
        Err(ReadFailure::Case(message)) => Ok(Binding::Failed(message)),
        Err(ReadFailure::Api(error)) if error.stops_every_call() => Err(error),
        Err(ReadFailure::Api(error)) => Ok(Binding::Failed(error.to_string())),
    }
}

/// Why a case could not be read for its manifest.
enum ReadFailure {
    /// Only this manifest's binding fails.
    Case(String),
    Api(ApiError),
}

impl From<ApiError> for ReadFailure {
    fn from(error: ApiError) -> Self {
        ReadFailure::Api(error)
    }
}

/// The case with its tags: the tags from the scan when it listed them, else read beside
/// GetCase when the ARN can be guessed, else after it.
async fn read_case_and_tags<A: CaseApi>(
    api: &A,
    desired: &DesiredCase,
    case_id: &str,
    known_tags: Option<std::collections::BTreeMap<String, String>>,
    arns: &CaseArns,
    on_read: &(dyn Fn() + Send + Sync),
) -> Result<LiveCase, ReadFailure> {
    let ahead = known_tags.is_none().then(|| arns.guess(case_id)).flatten();
    let (read, tags_ahead) = match ahead {
        Some(arn) => {
            let (read, tags) =
                futures::join!(read_case(api, case_id, on_read), api.list_tags(&arn));
            on_read();
            (read, Some((arn, tags)))
        }
        None => (read_case(api, case_id, on_read).await, None),
    };
    let Some(case) = read? else {
        return Err(ReadFailure::Case(
            if known_tags.is_some() && desired.case_id.is_none() {
                format!(
                    "case {case_id} was listed with this manifest's tag but could not be read (GetCase: not found); run the plan again"
                )
            } else {
                format!(
                    "case {case_id} does not exist (metadata.caseId); remove caseId to create a new case, or correct it"
                )
            },
        ));
    };
    arns.learn(&case.case_arn, &case.case_id);
    let tags = match (known_tags, tags_ahead) {
        (Some(tags), _) => tags,
        (None, Some((arn, read))) if arn == case.case_arn => read?,
        (None, _) => {
            let tags = api.list_tags(&case.case_arn).await?;
            on_read();
            tags
        }
    };
    Ok(LiveCase {
        tags: Some(tags),
        ..case
    })
}

#[cfg(test)]
mod tests;
