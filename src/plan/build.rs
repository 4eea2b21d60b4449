//! Building the plan: one `CasePlan` per manifest (from `diff`, with the ownership tags the
//! binding calls for) and per pruned orphan, in a deterministic order. Pure: the caller has
//! already read the manifests and the live cases.

use std::collections::BTreeMap;

use crate::diff::drift::{self, Cause};
use crate::diff::{self, ChangeKind, FieldChange};
use crate::model::{
    CaseStatus, DesiredCase, LiveCase, OWNERSHIP_TAG_KEY, REVISION_TAG_KEY, SpecField,
};
use crate::request::{CloseCaseInput, Request, TagResourceInput};

use super::bind::{Binding, Claim, ownership_tags_to_set};
use super::{Action, Adoption, CasePlan, Plan};

/// Everything the planner needs, already read.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanInput {
    /// The scope of this run: the scope tag every created or adopted case gets.
    pub scope: String,
    pub manifests: Vec<(DesiredCase, Binding)>,
    /// Owned cases of this scope whose manifest no longer exists. Passed only with `--prune`.
    pub orphans: Vec<Orphan>,
    /// The account the case ARNs that were read name, when any was read. Not used by the
    /// planner: it binds a saved plan to its target.
    pub account: Option<String>,
    /// The manifests as last applied, by manifest name, for the cases whose base is known.
    pub bases: BTreeMap<String, Base>,
    /// The git commit the manifests were read at: every case apply changes is tagged with it,
    /// so that the next plan knows what was last applied. `None` outside a git work tree.
    pub revision: Option<String>,
}

/// A manifest as it was at the revision last applied to its case.
#[derive(Debug, Clone, PartialEq)]
pub struct Base {
    pub revision: String,
    /// `None` when the manifest did not exist at that revision: every change is git's.
    pub manifest: Option<DesiredCase>,
}

impl Default for PlanInput {
    /// Nothing to plan, in the default scope.
    fn default() -> Self {
        PlanInput {
            scope: crate::model::DEFAULT_SCOPE.to_string(),
            manifests: Vec::new(),
            orphans: Vec::new(),
            account: None,
            bases: BTreeMap::new(),
            revision: None,
        }
    }
}

/// An owned case no manifest claims.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Orphan {
    Found(LiveCase),
    /// Listed as an orphan but could not be read: reported, never closed blind.
    Unreadable {
        case_id: String,
        name: Option<String>,
        error: String,
    },
}

/// The plan for `input`. Cases with a request that cannot be undone come first (closing a case
/// is the most surprising thing a plan can do; orphans lead them), then the rest, each group
/// ordered by name.
pub fn build_plan(input: PlanInput) -> Plan {
    let mut cases: Vec<CasePlan> = input.orphans.iter().map(plan_orphan).collect();
    cases.extend(
        input
            .manifests
            .iter()
            .map(|(desired, binding)| plan_manifest(desired, binding, &input)),
    );
    note_likely_renames(&mut cases, &input);
    cases.sort_by(|a, b| {
        let key = |case: &CasePlan| (!case.irreversible, !case.prune);
        key(a)
            .cmp(&key(b))
            .then_with(|| (&a.name, &a.case_id).cmp(&(&b.name, &b.case_id)))
    });
    Plan::from_cases(cases)
}

fn plan_manifest(desired: &DesiredCase, binding: &Binding, input: &PlanInput) -> CasePlan {
    let scope = input.scope.as_str();
    let (live, claim) = match binding {
        Binding::Found { live, claim } => (Some(live), Some(claim)),
        Binding::NotFound => (None, None),
        Binding::Failed(message) => {
            return error_plan(desired, None, message.clone());
        }
    };
    let case_id = live
        .map(|live| live.case_id.clone())
        .or_else(|| desired.case_id.clone());
    let live_fingerprint = live.map(LiveCase::fingerprint);
    let mut delta = match diff::diff_in_scope(desired, live, scope) {
        Ok(delta) => delta,
        Err(error) => return error_plan(desired, live, error.to_string()),
    };
    let mut plan = CasePlan {
        live_fingerprint,
        ..CasePlan::new(desired.name.clone(), case_id, Action::NoChange)
    };
    if let (Some(live), Some(claim)) = (live, claim) {
        claim_case(&mut plan, &mut delta, desired, live, claim, scope);
    }
    plan.action = match claim {
        Some(Claim::Adopted { .. }) if !delta.requests.is_empty() => Action::Adopt,
        _ => action_of(&delta.requests),
    };
    if let (Some(live), Some(base)) = (live, input.bases.get(&desired.name)) {
        explain_changes(&mut plan, &mut delta.changes, base, desired, live);
    }
    if let Some(revision) = &input.revision {
        record_revision(&mut delta.requests, revision, live);
    }
    plan.irreversible = delta.requests.iter().any(Request::is_irreversible);
    plan.status_path = delta.status_path;
    plan.requests = delta.requests;
    plan.changes = delta.changes;
    plan.notes.splice(0..0, delta.notes);
    plan
}

/// Gives each change its cause against the manifest last applied; fields where git and the
/// live case arrived at the same value are noted, since nothing is sent for them.
fn explain_changes(
    plan: &mut CasePlan,
    changes: &mut [FieldChange],
    base: &Base,
    desired: &DesiredCase,
    live: &LiveCase,
) {
    plan.base = Some(base.revision.clone());
    let causes = match &base.manifest {
        Some(manifest) => drift::classify(manifest, desired, live),
        None => BTreeMap::new(),
    };
    for change in changes {
        change.cause = Some(causes.get(&change.field).copied().unwrap_or(Cause::Change));
    }
    let converged: Vec<&str> = causes
        .iter()
        .filter(|(_, cause)| **cause == Cause::Converged)
        .map(|(field, _)| field.name())
        .collect();
    if !converged.is_empty() {
        plan.notes.push(format!(
            "converged: {} changed both in git and on the live case, to the same value",
            converged.join(", ")
        ));
    }
}

/// Tags the case with the revision being applied, in the same run as its other changes. A case
/// with nothing to change keeps its tag: retagging every case on every commit would make no
/// plan ever empty.
fn record_revision(requests: &mut Vec<Request>, revision: &str, live: Option<&LiveCase>) {
    if requests.is_empty() {
        return;
    }
    if let Some(Request::CreateCase(create)) = requests.first_mut() {
        create
            .tags
            .insert(REVISION_TAG_KEY.to_string(), revision.to_string());
        return;
    }
    let Some(live) = live else { return };
    let tagged = live
        .tags
        .as_ref()
        .and_then(|tags| tags.get(REVISION_TAG_KEY))
        .is_some_and(|tagged| tagged == revision);
    if !tagged && !live.status.is_closed() {
        add_tags(
            requests,
            BTreeMap::from([(REVISION_TAG_KEY.to_string(), revision.to_string())]),
            &live.case_arn,
        );
    }
}

/// Makes the case this manifest's: its ownership and scope tags go into the case's
/// TagResource, and the plan says how the case came to be bound.
fn claim_case(
    plan: &mut CasePlan,
    delta: &mut diff::CaseDelta,
    desired: &DesiredCase,
    live: &LiveCase,
    claim: &Claim,
    scope: &str,
) {
    match claim {
        Claim::Owned => {}
        Claim::Adopted { previous_name } => {
            plan.adoption = Some(Adoption {
                live_status: live.status,
                previous_name: previous_name.clone(),
            });
            let was = match previous_name {
                Some(name) => {
                    format!("its ownership tag names {name:?}, a manifest that no longer exists")
                }
                None => "it carries no sirops tag".to_string(),
            };
            plan.notes.push(format!(
                "adopting case {} (live status {}): metadata.caseId names it and {was}; apply tags it {OWNERSHIP_TAG_KEY}={} and {}={scope}",
                live.case_id,
                live.status,
                desired.name,
                crate::model::SCOPE_TAG_KEY,
            ));
        }
        Claim::Renamed { from } => {
            plan.renamed_from = Some(from.clone());
            plan.notes.push(format!(
                "renamed from {from:?} (metadata.previousNames): the case keeps its id and is retagged {OWNERSHIP_TAG_KEY}={}",
                desired.name
            ));
        }
    }
    let tags = ownership_tags_to_set(&desired.name, scope, live);
    if tags.is_empty() {
        return;
    }
    if live.status.is_closed() {
        // The API refuses every write to a closed case, tags included.
        if !matches!(claim, Claim::Owned) {
            plan.notes.push(
                "the case is closed, so it cannot be tagged; sirops leaves it as it is".into(),
            );
        }
        return;
    }
    let live_tags = live.tags.clone().unwrap_or_default();
    for (key, value) in &tags {
        let item = |value: &str| serde_json::json!({ "key": key, "value": value });
        delta.changes.push(FieldChange {
            field: SpecField::Tags,
            kind: if live_tags.contains_key(key) {
                ChangeKind::Modify
            } else {
                ChangeKind::Add
            },
            before: live_tags.get(key).map(|value| item(value)),
            after: Some(item(value)),
            cause: None,
            edits: Vec::new(),
        });
    }
    add_tags(&mut delta.requests, tags, &live.case_arn);
}

/// Adds `tags` to the case's TagResource, or adds one where the request order puts it:
/// after the field updates, before untagging and the status moves.
fn add_tags(requests: &mut Vec<Request>, tags: BTreeMap<String, String>, case_arn: &str) {
    if let Some(Request::TagResource(input)) = requests
        .iter_mut()
        .find(|request| matches!(request, Request::TagResource(_)))
    {
        input.tags.extend(tags);
        return;
    }
    let position = requests
        .iter()
        .rposition(|request| {
            matches!(
                request,
                Request::UpdateResolverType(_) | Request::UpdateCase(_)
            )
        })
        .map_or(0, |index| index + 1);
    requests.insert(
        position,
        Request::TagResource(TagResourceInput {
            resource_arn: Some(case_arn.to_string()),
            tags,
        }),
    );
}

fn error_plan(desired: &DesiredCase, live: Option<&LiveCase>, message: String) -> CasePlan {
    let case_id = live
        .map(|live| live.case_id.clone())
        .or_else(|| desired.case_id.clone());
    CasePlan {
        error: Some(message),
        live_fingerprint: live.map(LiveCase::fingerprint),
        ..CasePlan::new(desired.name.clone(), case_id, Action::Error)
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

fn plan_orphan(orphan: &Orphan) -> CasePlan {
    let live = match orphan {
        Orphan::Found(live) => live,
        Orphan::Unreadable {
            case_id,
            name,
            error,
        } => {
            return CasePlan {
                error: Some(format!(
                    "an orphan (no manifest claims it) that could not be read, so it is not closed: {error}"
                )),
                prune: true,
                ..CasePlan::new(
                    name.clone().unwrap_or_else(|| case_id.clone()),
                    Some(case_id.clone()),
                    Action::Error,
                )
            };
        }
    };
    let name = live
        .owner_name()
        .map_or_else(|| live.case_id.clone(), str::to_string);
    let mut plan = CasePlan {
        live_fingerprint: Some(live.fingerprint()),
        ..CasePlan::new(name.clone(), Some(live.case_id.clone()), Action::NoChange)
    };
    if live.status.is_closed() {
        plan.notes.push(format!(
            "no manifest is named {name:?} any more; the case is already Closed, so --prune leaves it alone"
        ));
        return plan;
    }
    plan.action = Action::Close;
    plan.prune = true;
    plan.irreversible = true;
    plan.status_path = vec![live.status, CaseStatus::Closed];
    plan.requests = vec![Request::CloseCase(CloseCaseInput {
        case_id: Some(live.case_id.clone()),
    })];
    plan.notes.push(format!(
        "no manifest is named {name:?} any more (ownership tag sirops:name); --prune closes the case, which cannot be undone"
    ));
    plan
}

/// A create and a pruned orphan whose fields are the same are most likely one case whose
/// manifest was renamed: say so on both, with the fix, before apply closes the old case and
/// makes a new one.
fn note_likely_renames(cases: &mut [CasePlan], input: &PlanInput) {
    let orphans: Vec<&LiveCase> = input
        .orphans
        .iter()
        .filter_map(|orphan| match orphan {
            Orphan::Found(live) if !live.status.is_closed() => Some(live),
            _ => None,
        })
        .collect();
    // A create is found by its manifest name, an orphan by its case id: a manifest may well be
    // named like a case id.
    let mut notes: Vec<(bool, String, String)> = Vec::new();
    for (desired, binding) in &input.manifests {
        if *binding != Binding::NotFound {
            continue;
        }
        for orphan in &orphans {
            if !same_fields(desired, orphan) {
                continue;
            }
            let old = orphan.owner_name().unwrap_or(&orphan.case_id).to_string();
            notes.push((
                false,
                desired.name.clone(),
                format!(
                    "looks like a rename of {old:?} (case {}): to keep that case instead of creating this one and closing it, add `previousNames: [{old}]` under metadata",
                    orphan.case_id
                ),
            ));
            notes.push((
                true,
                orphan.case_id.clone(),
                format!(
                    "looks like it was renamed to {:?}: add `previousNames: [{old}]` under that manifest's metadata to keep this case",
                    desired.name
                ),
            ));
        }
    }
    for (is_orphan, key, note) in notes {
        let found = cases.iter_mut().find(|case| {
            if is_orphan {
                case.prune && case.case_id.as_deref() == Some(key.as_str())
            } else {
                case.action == Action::Create && case.name == key
            }
        });
        if let Some(case) = found {
            case.notes.push(note);
        }
    }
}

/// True when `live` already has every field value `desired` manages, status and tags aside.
fn same_fields(desired: &DesiredCase, live: &LiveCase) -> bool {
    let without_status_and_tags = DesiredCase {
        status: None,
        tags: None,
        ..desired.clone()
    };
    diff::diff(&without_status_and_tags, Some(live)).is_ok_and(|delta| delta.changes.is_empty())
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
                Orphan::Found(live_case("2222222222", "old-b", CaseStatus::Submitted)),
                Orphan::Found(live_case(
                    "1111111111",
                    "old-a",
                    CaseStatus::DetectionAndAnalysis,
                )),
            ],
            ..PlanInput::default()
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
            orphans: vec![Orphan::Found(orphan.clone())],
            ..PlanInput::default()
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
                irreversible: 1,
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
            orphans: vec![Orphan::Found(live_case(
                "1111111111",
                "old-a",
                CaseStatus::Closed,
            ))],
            ..PlanInput::default()
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
            orphans: vec![Orphan::Found(orphan)],
            ..PlanInput::default()
        });
        assert_eq!(plan.cases[0].name, "1111111111");
    }

    #[test]
    fn a_create_and_an_orphan_with_the_same_fields_are_called_a_likely_rename() {
        let desired = desired_case("payroll-phishing");
        let mut orphan = crate::plan::fixtures::live_matching(&desired, "1111111111");
        orphan
            .tags
            .as_mut()
            .unwrap()
            .insert(OWNERSHIP_TAG_KEY.into(), "payroll".into());
        let plan = build_plan(PlanInput {
            manifests: vec![(desired.clone(), Binding::NotFound)],
            orphans: vec![Orphan::Found(orphan.clone())],
            ..PlanInput::default()
        });
        let notes = |name: &str| -> Vec<String> {
            plan.cases
                .iter()
                .find(|case| case.name == name)
                .unwrap()
                .notes
                .clone()
        };
        assert!(
            notes("payroll-phishing")
                .iter()
                .any(|note| note.contains("looks like a rename of \"payroll\" (case 1111111111)"))
        );
        assert!(
            notes("payroll")
                .iter()
                .any(|note| note.contains("renamed to \"payroll-phishing\""))
        );

        let mut other = orphan;
        other.title = "Another incident".into();
        let plan = build_plan(PlanInput {
            manifests: vec![(desired, Binding::NotFound)],
            orphans: vec![Orphan::Found(other)],
            ..PlanInput::default()
        });
        assert!(
            plan.cases
                .iter()
                .all(|case| case.notes.iter().all(|note| !note.contains("rename")))
        );
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
            ..PlanInput::default()
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

    // The tests below go through `diff::diff`, so they check the planner and the diff together.

    #[test]
    fn a_manifest_with_no_bound_case_is_created() {
        let plan = build_plan(PlanInput {
            manifests: vec![(desired_case("payroll-phishing"), Binding::NotFound)],
            ..PlanInput::default()
        });
        let case = &plan.cases[0];
        assert_eq!(case.action, Action::Create);
        assert_eq!(case.case_id, None);
        assert_eq!(case.live_fingerprint, None);
        assert!(matches!(case.requests[0], Request::CreateCase(_)));
        assert_eq!(plan.summary.create, 1);
    }

    fn plan_with(input: PlanInput) -> Plan {
        build_plan(input)
    }

    fn owned(desired: DesiredCase, live: LiveCase) -> Vec<(DesiredCase, Binding)> {
        vec![(
            desired,
            Binding::Found {
                live,
                claim: Claim::Owned,
            },
        )]
    }

    #[test]
    fn the_revision_applied_is_tagged_on_a_new_case_and_on_a_changed_one_only() {
        let revision = Some("c0ffee".to_string());
        let created = plan_with(PlanInput {
            manifests: vec![(desired_case("new-case"), Binding::NotFound)],
            revision: revision.clone(),
            ..PlanInput::default()
        });
        let Request::CreateCase(create) = &created.cases[0].requests[0] else {
            panic!("a create");
        };
        assert_eq!(
            create.tags.get(REVISION_TAG_KEY).map(String::as_str),
            Some("c0ffee")
        );

        let desired = desired_case("payroll-phishing");
        let live = crate::plan::fixtures::live_matching(&desired, "1234567890");
        let in_sync = plan_with(PlanInput {
            manifests: owned(desired.clone(), live.clone()),
            revision: revision.clone(),
            ..PlanInput::default()
        });
        assert!(
            in_sync.cases[0].requests.is_empty(),
            "no churn: {in_sync:?}"
        );

        let mut retitled = desired;
        retitled.title = "A new title".into();
        let updated = plan_with(PlanInput {
            manifests: owned(retitled, live),
            revision,
            ..PlanInput::default()
        });
        let operations: Vec<&str> = updated.cases[0]
            .requests
            .iter()
            .map(Request::operation)
            .collect();
        assert_eq!(operations, ["UpdateCase", "TagResource"]);
        let Request::TagResource(tag) = &updated.cases[0].requests[1] else {
            panic!("a TagResource");
        };
        assert_eq!(
            tag.tags.get(REVISION_TAG_KEY).map(String::as_str),
            Some("c0ffee")
        );
        assert_eq!(updated.cases[0].action, Action::Update);
    }

    #[test]
    fn changes_carry_their_cause_when_the_base_is_known() {
        let base = desired_case("payroll-phishing");
        let mut live = crate::plan::fixtures::live_matching(&base, "1234567890");
        live.description = "Edited in the console".into();
        let mut desired = base.clone();
        desired.title = "Retitled in git".into();
        let bases = BTreeMap::from([(
            desired.name.clone(),
            Base {
                revision: "b45e".into(),
                manifest: Some(base),
            },
        )]);
        let plan = plan_with(PlanInput {
            manifests: owned(desired.clone(), live.clone()),
            bases,
            ..PlanInput::default()
        });
        let case = &plan.cases[0];
        assert_eq!(case.base.as_deref(), Some("b45e"));
        let causes: Vec<(SpecField, Option<Cause>)> = case
            .changes
            .iter()
            .map(|change| (change.field, change.cause))
            .collect();
        assert_eq!(
            causes,
            [
                (SpecField::Title, Some(Cause::Change)),
                (SpecField::Description, Some(Cause::Drift)),
            ]
        );
        assert!(plan.has_drift());

        // Without a base nothing is known about the cause, and nothing is called drift.
        let unknown = plan_with(PlanInput {
            manifests: owned(desired, live),
            ..PlanInput::default()
        });
        assert!(
            unknown.cases[0]
                .changes
                .iter()
                .all(|change| change.cause.is_none())
        );
        assert!(!unknown.has_drift());
        assert!(unknown.has_changes());
    }

    #[test]
    fn a_manifest_new_since_the_base_has_only_changes() {
        let desired = desired_case("payroll-phishing");
        let mut live = crate::plan::fixtures::live_matching(&desired, "1234567890");
        live.title = "Something else".into();
        let bases = BTreeMap::from([(
            desired.name.clone(),
            Base {
                revision: "b45e".into(),
                manifest: None,
            },
        )]);
        let plan = plan_with(PlanInput {
            manifests: owned(desired, live),
            bases,
            ..PlanInput::default()
        });
        assert_eq!(plan.cases[0].changes[0].cause, Some(Cause::Change));
        assert!(!plan.has_drift());
    }

    /// The plan of one manifest bound to the case it owns.
    fn plan_of_owned(desired: DesiredCase, live: LiveCase) -> Plan {
        build_plan(PlanInput {
            manifests: vec![(
                desired,
                Binding::Found {
                    live,
                    claim: Claim::Owned,
                },
            )],
            ..PlanInput::default()
        })
    }

    #[test]
    fn a_manifest_matching_its_live_case_has_no_change_and_keeps_the_fingerprint() {
        let desired = desired_case("payroll-phishing");
        let live = crate::plan::fixtures::live_matching(&desired, "1234567890");
        let plan = plan_of_owned(desired, live.clone());
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
        let plan = plan_of_owned(desired, live);
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
        let plan = plan_of_owned(desired, live);
        assert_eq!(plan.cases[0].action, Action::Error);
        assert!(plan.cases[0].error.as_deref().unwrap().contains("AWS"));
    }
}
