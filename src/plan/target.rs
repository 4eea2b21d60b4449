//! What a saved plan is bound to: the service it was made against (endpoint, region, account,
//! scope), the sirops that made it, and the manifests it was made from. `apply --plan` refuses
//! a plan whose target or manifests differ from the run's, and one whose requests address a
//! case other than the case they belong to, so a plan file can only do what its review showed.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{CasePlan, Plan};
use crate::model::DesiredCase;
use crate::request::Request;

/// Where a plan was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// `aws` for the service's own endpoint, the endpoint URL when one was configured, or
    /// `local:<state file>` for `--local`.
    pub endpoint: String,
    pub region: Option<String>,
    /// The account of the case ARNs the plan read; `None` when it read none.
    pub account: Option<String>,
    pub scope: String,
    pub sirops_version: String,
}

/// The version of sirops that made a plan.
pub const SIROPS_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A digest of what the manifests ask for (after validation and normalisation, in name order),
/// so a comment or a reflowed line does not make a plan stale, but any change a plan depends on
/// does.
pub fn manifest_digest<'a>(manifests: impl IntoIterator<Item = &'a DesiredCase>) -> String {
    let mut hasher = Sha256::new();
    for desired in manifests {
        hasher.update(serde_json::to_vec(desired).expect("a desired case always serialises"));
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// Why a saved plan may not be applied by this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    NoTarget,
    Endpoint {
        planned: String,
        now: String,
    },
    Region {
        planned: Option<String>,
        now: Option<String>,
    },
    Account {
        planned: String,
        now: String,
    },
    Scope {
        planned: String,
        now: String,
    },
    Manifests,
    ForeignRequest {
        case: String,
        detail: String,
    },
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |value: &Option<String>| value.clone().unwrap_or_else(|| "none".to_string());
        match self {
            Mismatch::NoTarget => write!(
                f,
                "the plan does not say which endpoint, region and account it was made against (it was made by an older sirops or edited)"
            ),
            Mismatch::Endpoint { planned, now } => write!(
                f,
                "the plan was made against endpoint {planned}, this run targets {now}"
            ),
            Mismatch::Region { planned, now } => write!(
                f,
                "the plan was made in region {}, this run targets {}",
                show(planned),
                show(now)
            ),
            Mismatch::Account { planned, now } => write!(
                f,
                "the plan was made against account {planned}, this run reads cases of account {now}"
            ),
            Mismatch::Scope { planned, now } => write!(
                f,
                "the plan was made for scope {planned:?}, this run's scope is {now:?} (sirops.yaml)"
            ),
            Mismatch::Manifests => write!(
                f,
                "the manifests changed since the plan was made (or this run read other paths than the plan did)"
            ),
            Mismatch::ForeignRequest { case, detail } => write!(
                f,
                "case {case}: {detail}; a plan's requests address only their own case, so this file was edited"
            ),
        }
    }
}

/// Every way `plan` does not fit a run against `now` with manifests of digest `digest`.
pub fn check_saved_plan(plan: &Plan, now: &Target, digest: &str) -> Vec<Mismatch> {
    let mut mismatches = Vec::new();
    match &plan.target {
        None => mismatches.push(Mismatch::NoTarget),
        Some(planned) => {
            if planned.endpoint != now.endpoint {
                mismatches.push(Mismatch::Endpoint {
                    planned: planned.endpoint.clone(),
                    now: now.endpoint.clone(),
                });
            }
            if planned.region != now.region {
                mismatches.push(Mismatch::Region {
                    planned: planned.region.clone(),
                    now: now.region.clone(),
                });
            }
            if planned.scope != now.scope {
                mismatches.push(Mismatch::Scope {
                    planned: planned.scope.clone(),
                    now: now.scope.clone(),
                });
            }
        }
    }
    if plan.manifest_digest.as_deref() != Some(digest) {
        mismatches.push(Mismatch::Manifests);
    }
    for case in &plan.cases {
        if let Err(detail) = requests_address_their_case(case) {
            mismatches.push(Mismatch::ForeignRequest {
                case: case.name.clone(),
                detail,
            });
        }
    }
    mismatches
}

/// The account the live reads of this run saw against the one the plan recorded.
pub fn check_account(plan: &Plan, account_now: Option<&str>) -> Option<Mismatch> {
    let planned = plan.target.as_ref()?.account.as_deref()?;
    let now = account_now?;
    (planned != now).then(|| Mismatch::Account {
        planned: planned.to_string(),
        now: now.to_string(),
    })
}

/// Every request of a case names the case's own id (or `null`, after a create, for the id the
/// create will give), and a tag request the ARN of that case.
fn requests_address_their_case(case: &CasePlan) -> Result<(), String> {
    let own = case.case_id.as_deref();
    let creates = matches!(case.requests.first(), Some(Request::CreateCase(_)));
    for (index, request) in case.requests.iter().enumerate() {
        let (what, value) = match request {
            Request::CreateCase(_) if index == 0 && own.is_none() => continue,
            Request::CreateCase(_) => {
                return Err("a CreateCase that is not the case's first request".into());
            }
            Request::UpdateResolverType(input) => ("caseId", input.case_id.as_deref()),
            Request::UpdateCase(input) => ("caseId", input.case_id.as_deref()),
            Request::UpdateCaseStatus(input) => ("caseId", input.case_id.as_deref()),
            Request::CloseCase(input) => ("caseId", input.case_id.as_deref()),
            Request::TagResource(input) => ("resourceArn", input.resource_arn.as_deref()),
            Request::UntagResource(input) => ("resourceArn", input.resource_arn.as_deref()),
        };
        let fits = match (what, value, own) {
            (_, None, _) => creates,
            (_, Some(_), None) => false,
            ("caseId", Some(id), Some(own)) => id == own,
            (_, Some(arn), Some(own)) => arn.rsplit_once(":case/").is_some_and(|(_, id)| id == own),
        };
        if !fits {
            return Err(format!(
                "its {} names {} {}, not case {}",
                request.operation(),
                what,
                value.unwrap_or("null"),
                own.unwrap_or("to be created")
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::fixtures;
    use crate::request::{CloseCaseInput, TagResourceInput};

    fn target() -> Target {
        Target {
            endpoint: "http://127.0.0.1:4566".into(),
            region: Some("us-east-1".into()),
            account: Some("123456789012".into()),
            scope: "default".into(),
            sirops_version: SIROPS_VERSION.into(),
        }
    }

    fn saved() -> Plan {
        let mut plan = fixtures::sample_plan();
        plan.target = Some(target());
        plan.manifest_digest = Some("digest".into());
        plan
    }

    #[test]
    fn a_plan_fits_the_run_it_was_made_for() {
        assert_eq!(check_saved_plan(&saved(), &target(), "digest"), vec![]);
        assert_eq!(check_account(&saved(), Some("123456789012")), None);
    }

    #[test]
    fn another_endpoint_region_scope_or_manifests_is_named() {
        let now = Target {
            endpoint: "aws".into(),
            region: Some("eu-west-1".into()),
            scope: "team-a".into(),
            ..target()
        };
        let mismatches = check_saved_plan(&saved(), &now, "other");
        assert_eq!(mismatches.len(), 4, "{mismatches:?}");
        let text: Vec<String> = mismatches.iter().map(ToString::to_string).collect();
        assert!(text[0].contains("http://127.0.0.1:4566") && text[0].contains("aws"));
        assert!(text[1].contains("eu-west-1"));
        assert!(text[2].contains("team-a"));
        assert!(text[3].contains("manifests changed"));
        assert!(matches!(
            check_account(&saved(), Some("210987654321")),
            Some(Mismatch::Account { .. })
        ));
        let mut old = saved();
        old.target = None;
        assert_eq!(
            check_saved_plan(&old, &target(), "digest"),
            vec![Mismatch::NoTarget]
        );
    }

    #[test]
    fn a_request_for_another_case_is_refused() {
        let mut plan = saved();
        let case = plan
            .cases
            .iter_mut()
            .find(|case| case.case_id.is_some() && !case.requests.is_empty())
            .unwrap();
        let own = case.case_id.clone().unwrap();
        case.requests.push(Request::CloseCase(CloseCaseInput {
            case_id: Some("9999999999".into()),
        }));
        let mismatches = check_saved_plan(&plan, &target(), "digest");
        assert!(
            matches!(&mismatches[..], [Mismatch::ForeignRequest { detail, .. }] if detail.contains("9999999999")),
            "{mismatches:?}"
        );

        let mut plan = saved();
        let case = plan
            .cases
            .iter_mut()
            .find(|case| case.case_id.as_deref() == Some(own.as_str()))
            .unwrap();
        case.requests.push(Request::TagResource(TagResourceInput {
            resource_arn: Some("arn:aws:security-ir:us-east-1:123456789012:case/9999999999".into()),
            tags: std::collections::BTreeMap::default(),
        }));
        assert_eq!(check_saved_plan(&plan, &target(), "digest").len(), 1);
    }

    #[test]
    fn the_digest_follows_what_the_manifests_ask_for() {
        let one = fixtures::desired_case("a");
        let mut changed = one.clone();
        changed.title.push('!');
        assert_eq!(manifest_digest([&one]), manifest_digest([&one.clone()]));
        assert_ne!(manifest_digest([&one]), manifest_digest([&changed]));
        assert_ne!(manifest_digest([&one]), manifest_digest([&one, &changed]));
    }
}
