//! Building the plan: one `CasePlan` per manifest (from `diff`) and per pruned orphan, in a
//! deterministic order. Pure: the caller has already read the manifests and the live cases.

use crate::diff;
use crate::model::{CaseStatus, DesiredCase, LiveCase};
use crate::request::{CloseCaseInput, Request};

use super::{Action, CasePlan, Plan};

/// What reading the live side found for one manifest.
// One binding per manifest, built once and consumed by `build_plan`: boxing the live case
// would cost every caller an allocation to save a few hundred bytes.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Binding {
    /// The case the manifest is bound to (by `caseId` or by ownership tag).
    Found(LiveCase),
    /// No case is bound yet: the manifest's case will be created.
    NotFound,
    /// The live read failed, e.g. the manifest's `caseId` does not exist. Never a create: a
    /// manifest that names a case must not silently make another one.
    Failed(String),
}

/// Everything the planner needs, already read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlanInput {
    pub manifests: Vec<(DesiredCase, Binding)>,
    /// Owned cases whose manifest no longer exists. Passed only with `--prune`.
    pub orphans: Vec<LiveCase>,
}

/// The plan for `input`. Orphans come first (closing a case nobody asked about is the most
/// surprising thing a plan can do), then the manifests, each group ordered by name.
pub fn build_plan(input: PlanInput) -> Plan {
    let mut orphans: Vec<CasePlan> = input.orphans.iter().map(plan_orphan).collect();
    let mut manifests: Vec<CasePlan> = input
        .manifests
        .iter()
        .map(|(desired, binding)| plan_manifest(desired, binding))
        .collect();
    sort_by_name(&mut orphans);
    sort_by_name(&mut manifests);
    orphans.extend(manifests);
    Plan::from_cases(orphans)
}

/// Name first; the case id breaks ties (two orphans may carry the same ownership tag) so the
/// order never depends on the order the API listed them in.
fn sort_by_name(cases: &mut [CasePlan]) {
    cases.sort_by(|a, b| (&a.name, &a.case_id).cmp(&(&b.name, &b.case_id)));
}

fn plan_manifest(desired: &DesiredCase, binding: &Binding) -> CasePlan {
    let live = match binding {
        Binding::Found(live) => Some(live),
        Binding::NotFound => None,
        Binding::Failed(message) => {
            return error_plan(desired, None, message.clone());
        }
    };
    let case_id = live
        .map(|live| live.case_id.clone())
        .or_else(|| desired.case_id.clone());
    let live_fingerprint = live.map(LiveCase::fingerprint);
    match diff::diff(desired, live) {
        Ok(delta) => CasePlan {
            name: desired.name.clone(),
            case_id,
            action: action_of(&delta.requests),
            status_path: delta.status_path,
            irreversible: delta.irreversible,
            requests: delta.requests,
            changes: delta.changes,
            notes: delta.notes,
            error: None,
            prune: false,
            live_fingerprint,
        },
        Err(error) => error_plan(desired, live, error.to_string()),
    }
}

fn error_plan(desired: &DesiredCase, live: Option<&LiveCase>, message: String) -> CasePlan {
    CasePlan {
        name: desired.name.clone(),
        case_id: live
            .map(|live| live.case_id.clone())
            .or_else(|| desired.case_id.clone()),
        action: Action::Error,
        status_path: Vec::new(),
        irreversible: false,
        requests: Vec::new(),
        changes: Vec::new(),
        notes: Vec::new(),
        error: Some(message),
        prune: false,
        live_fingerprint: live.map(LiveCase::fingerprint),
    }
}

/// The action is read off the requests so that it can never disagree with what apply does.
fn action_of(requests: &[Request]) -> Action {
    match requests.first() {
        None => Action::NoChange,
        Some(Request::CreateCase(_)) => Action::Create,
        Some(_) if requests.iter().any(|r| matches!(r, Request::CloseCase(_))) => Action::Close,
        Some(_) => Action::Update,
    }
}

fn plan_orphan(live: &LiveCase) -> CasePlan {
    let name = live
        .owner_name()
        .map(str::to_string)
        .unwrap_or_else(|| live.case_id.clone());
    let mut plan = CasePlan {
        name: name.clone(),
        case_id: Some(live.case_id.clone()),
        action: Action::NoChange,
        status_path: Vec::new(),
        irreversible: false,
        requests: Vec::new(),
        changes: Vec::new(),
        notes: Vec::new(),
        error: None,
        prune: false,
        live_fingerprint: Some(live.fingerprint()),
    };
    if live.status.is_closed() {
        plan.notes.push(format!(
            "no manifest is named {name:?} any more; the case is already Closed, so --prune leaves it alone"
        ));
        return plan;
    }
    plan.action = Action::Close;
    plan.prune = true;
    plan.status_path = vec![live.status, CaseStatus::Closed];
    plan.requests = vec![Request::CloseCase(CloseCaseInput {
        case_id: Some(live.case_id.clone()),
    })];
    plan.notes.push(format!(
        "no manifest is named {name:?} any more (ownership tag sirops:name); --prune closes the case, which cannot be undone"
    ));
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ResolverType;
    use crate::plan::Summary;
    use crate::plan::fixtures::{desired_case, live_case};

    #[test]
    fn orphans_come_first_and_each_group_is_ordered_by_name() {
        let input = PlanInput {
            manifests: vec![
                (desired_case("zeta"), Binding::Failed("boom".into())),
                (desired_case("alpha"), Binding::Failed("boom".into())),
            ],
            orphans: vec![
                live_case("2222222222", "old-b", CaseStatus::Submitted),
                live_case("1111111111", "old-a", CaseStatus::DetectionAndAnalysis),
            ],
        };
        let names: Vec<String> = build_plan(input)
            .cases
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["old-a", "old-b", "alpha", "zeta"]);
    }

    #[test]
    fn an_orphan_closes_with_one_close_case_and_counts_as_prune() {
        let orphan = live_case("1111111111", "old-a", CaseStatus::DetectionAndAnalysis);
        let plan = build_plan(PlanInput {
            manifests: vec![],
            orphans: vec![orphan.clone()],
        });
        let case = &plan.cases[0];
        assert_eq!(case.action, Action::Close);
        assert!(case.prune);
        assert_eq!(case.case_id.as_deref(), Some("1111111111"));
        assert_eq!(
            case.requests,
            [Request::CloseCase(CloseCaseInput {
                case_id: Some("1111111111".into())
            })]
        );
        assert_eq!(
            case.status_path,
            [CaseStatus::DetectionAndAnalysis, CaseStatus::Closed]
        );
        assert_eq!(case.live_fingerprint, Some(orphan.fingerprint()));
        assert_eq!(
            plan.summary,
            Summary {
                close: 1,
                status_transitions: 1,
                prune: 1,
                ..Summary::default()
            }
        );
        assert!(plan.has_changes());
        assert!(!plan.has_errors());
    }

    #[test]
    fn an_orphan_already_closed_is_left_alone() {
        let plan = build_plan(PlanInput {
            manifests: vec![],
            orphans: vec![live_case("1111111111", "old-a", CaseStatus::Closed)],
        });
        assert_eq!(plan.cases[0].action, Action::NoChange);
        assert!(plan.cases[0].requests.is_empty());
        assert!(!plan.cases[0].prune);
        assert!(!plan.has_changes());
    }

    #[test]
    fn an_orphan_without_a_readable_tag_is_named_by_its_case_id() {
        let mut orphan = live_case("1111111111", "old-a", CaseStatus::Submitted);
        orphan.tags = None;
        let plan = build_plan(PlanInput {
            manifests: vec![],
            orphans: vec![orphan],
        });
        assert_eq!(plan.cases[0].name, "1111111111");
    }

    #[test]
    fn a_failed_binding_is_an_error_never_a_create() {
        let mut desired = desired_case("payroll-phishing");
        desired.case_id = Some("9999999999".into());
        let plan = build_plan(PlanInput {
            manifests: vec![(
                desired,
                Binding::Failed("case 9999999999 does not exist".into()),
            )],
            orphans: vec![],
        });
        let case = &plan.cases[0];
        assert_eq!(case.action, Action::Error);
        assert_eq!(case.case_id.as_deref(), Some("9999999999"));
        assert_eq!(
            case.error.as_deref(),
            Some("case 9999999999 does not exist")
        );
        assert!(case.requests.is_empty());
        assert_eq!(plan.summary.errors, 1);
        assert!(plan.has_errors());
        assert!(!plan.has_changes());
    }

    #[test]
    fn the_action_is_read_off_the_requests() {
        let close = Request::CloseCase(CloseCaseInput { case_id: None });
        assert_eq!(action_of(&[]), Action::NoChange);
        assert_eq!(
            action_of(&[crate::plan::fixtures::create_request("x")]),
            Action::Create
        );
        assert_eq!(
            action_of(&[crate::plan::fixtures::create_request("x"), close.clone()]),
            Action::Create
        );
        assert_eq!(action_of(std::slice::from_ref(&close)), Action::Close);
        assert_eq!(
            action_of(&[Request::UpdateResolverType(
                crate::request::UpdateResolverTypeInput {
                    case_id: None,
                    resolver_type: ResolverType::Aws
                }
            )]),
            Action::Update
        );
    }

    // The tests below go through `diff::diff`; they pass once the diff stage has landed.

    #[test]
    fn a_manifest_with_no_bound_case_is_created() {
        let plan = build_plan(PlanInput {
            manifests: vec![(desired_case("payroll-phishing"), Binding::NotFound)],
            orphans: vec![],
        });
        let case = &plan.cases[0];
        assert_eq!(case.action, Action::Create);
        assert_eq!(case.case_id, None);
        assert_eq!(case.live_fingerprint, None);
        assert!(matches!(case.requests[0], Request::CreateCase(_)));
        assert_eq!(plan.summary.create, 1);
    }

    #[test]
    fn a_manifest_matching_its_live_case_has_no_change_and_keeps_the_fingerprint() {
        let desired = desired_case("payroll-phishing");
        let live = crate::plan::fixtures::live_matching(&desired, "1234567890");
        let plan = build_plan(PlanInput {
            manifests: vec![(desired, Binding::Found(live.clone()))],
            orphans: vec![],
        });
        let case = &plan.cases[0];
        assert_eq!(case.action, Action::NoChange, "{case:#?}");
        assert_eq!(case.case_id.as_deref(), Some("1234567890"));
        assert_eq!(case.live_fingerprint, Some(live.fingerprint()));
        assert!(!plan.has_changes());
    }

    #[test]
    fn a_changed_title_is_an_update_and_a_status_walk_counts_every_step() {
        let mut desired = desired_case("payroll-phishing");
        let live = crate::plan::fixtures::live_matching(&desired, "1234567890");
        desired.title = "A new title".into();
        desired.status = Some(CaseStatus::PostIncidentActivities);
        let plan = build_plan(PlanInput {
            manifests: vec![(desired, Binding::Found(live))],
            orphans: vec![],
        });
        let case = &plan.cases[0];
        assert_eq!(case.action, Action::Update);
        assert_eq!(
            case.status_path,
            [
                CaseStatus::Submitted,
                CaseStatus::DetectionAndAnalysis,
                CaseStatus::PostIncidentActivities
            ]
        );
        assert_eq!(plan.summary.status_transitions, 2);
        assert_eq!(plan.summary.update, 1);
    }

    #[test]
    fn a_diff_error_becomes_an_error_case() {
        let mut desired = desired_case("payroll-phishing");
        let mut live = crate::plan::fixtures::live_matching(&desired, "1234567890");
        live.resolver_type = ResolverType::Aws;
        desired.resolver_type = ResolverType::SelfManaged;
        let plan = build_plan(PlanInput {
            manifests: vec![(desired, Binding::Found(live))],
            orphans: vec![],
        });
        assert_eq!(plan.cases[0].action, Action::Error);
        assert!(plan.cases[0].error.as_deref().unwrap().contains("AWS"));
    }
}
