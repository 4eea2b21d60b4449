use super::*;
use crate::live::memory::MemoryApi;
use crate::model::ResolverType;
use crate::request::{CloseCaseInput, UpdateCaseStatusInput, UpdateResolverTypeInput};

fn move_to(status: CaseStatus) -> Request {
    Request::UpdateCaseStatus(UpdateCaseStatusInput {
        case_id: None,
        case_status: status,
    })
}

fn close() -> Request {
    Request::CloseCase(CloseCaseInput { case_id: None })
}

#[test]
fn steps_up_to_the_live_status_are_done() {
    let path = [
        move_to(CaseStatus::DetectionAndAnalysis),
        move_to(CaseStatus::ContainmentEradicationAndRecovery),
        move_to(CaseStatus::PostIncidentActivities),
        close(),
    ];
    assert_eq!(steps_reached(&path, CaseStatus::DetectionAndAnalysis), 1);
    assert_eq!(steps_reached(&path, CaseStatus::PostIncidentActivities), 3);
    assert_eq!(steps_reached(&path, CaseStatus::Closed), 4);
}

#[test]
fn a_status_off_the_path_or_before_it_is_a_real_refusal() {
    let path = [
        move_to(CaseStatus::ContainmentEradicationAndRecovery),
        move_to(CaseStatus::PostIncidentActivities),
    ];
    assert_eq!(steps_reached(&path, CaseStatus::DetectionAndAnalysis), 0);
    assert_eq!(steps_reached(&path, CaseStatus::Closed), 0);
    assert_eq!(steps_reached(&[], CaseStatus::Closed), 0);
}

#[test]
fn only_the_status_moves_next_in_line_count() {
    let resolver = Request::UpdateResolverType(UpdateResolverTypeInput {
        case_id: None,
        resolver_type: ResolverType::Aws,
    });
    let moves = [
        move_to(CaseStatus::DetectionAndAnalysis),
        resolver,
        move_to(CaseStatus::PostIncidentActivities),
    ];
    assert_eq!(steps_reached(&moves, CaseStatus::PostIncidentActivities), 0);
    assert_eq!(
        steps_reached(&moves[1..], CaseStatus::PostIncidentActivities),
        0
    );
}

/// The service holding the audited case, where a move to Post-incident Activities is legal.
fn api(refuse_comments: bool) -> MemoryApi {
    let mut api = MemoryApi::default();
    api.refuse_comments = refuse_comments;
    api.add_case(crate::plan::fixtures::live_case(
        "7777777777",
        "audited",
        CaseStatus::DetectionAndAnalysis,
    ));
    api
}

fn audited_plan(requests: Vec<Request>) -> Plan {
    let mut case = crate::plan::fixtures::unchanged_case("audited");
    case.action = crate::plan::Action::Update;
    case.requests = requests;
    Plan::from_cases(vec![case])
}

fn update() -> Request {
    Request::UpdateCase(crate::request::UpdateCaseInput {
        case_id: Some("7777777777".into()),
        title: Some("t".into()),
        ..Default::default()
    })
}

async fn run(api: &MemoryApi, plan: &Plan) -> Vec<CaseOutcome> {
    let options = ApplyOptions {
        parallelism: 1,
        audit: Some(AuditContext::default()),
    };
    apply(api, plan, &options, &|_| {}).await
}

#[tokio::test]
async fn the_audit_comment_goes_in_before_the_first_status_move() {
    let api = api(false);
    let plan = audited_plan(vec![
        update(),
        move_to(CaseStatus::PostIncidentActivities),
        close(),
    ]);
    let outcomes = run(&api, &plan).await;
    assert_eq!(
        api.calls(),
        [
            "UpdateCase",
            "CreateCaseComment",
            "UpdateCaseStatus",
            "CloseCase"
        ]
    );
    assert_eq!(outcomes[0].failure(), None);
    assert!(outcomes[0].warnings.is_empty());
}

#[tokio::test]
async fn without_status_moves_the_comment_comes_last() {
    let api = api(false);
    run(&api, &audited_plan(vec![update()])).await;
    assert_eq!(api.calls(), ["UpdateCase", "CreateCaseComment"]);
}

#[tokio::test]
async fn a_comment_that_cannot_be_posted_is_a_warning_and_the_case_goes_on() {
    let api = api(true);
    let outcomes = run(&api, &audited_plan(vec![update(), close()])).await;
    assert_eq!(
        api.calls(),
        ["UpdateCase", "CreateCaseComment", "CloseCase"]
    );
    assert_eq!(outcomes[0].failure(), None);
    assert_eq!(outcomes[0].completed(), ["UpdateCase", "CloseCase"]);
    assert_eq!(outcomes[0].warnings.len(), 1);
    assert!(outcomes[0].warnings[0].contains("ConflictException"));
}

mod against_the_service {
    //! The executor against a service in memory that acts on each request: what a case reports
    //! when a request fails, what the next plan makes of a request whose response was lost,
    //! and the order requests reach the service in.

    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use super::*;
    use crate::live::discover::{DiscoverOptions, discover};
    use crate::live::memory::{Call, Fault, MemoryApi};
    use crate::model::{DEFAULT_SCOPE, DesiredCase, EngagementType, LiveCase, OWNERSHIP_TAG_KEY};
    use crate::plan::bind::Claims;
    use crate::plan::fixtures::{
        close_case, create_case, date, desired_case, irreversible_case, live_case, update_case,
    };
    use crate::plan::{Action, build_plan};
    use crate::request::{CreateCaseInput, TagResourceInput};

    const PAYROLL: &str = "1234567890";
    const LAPTOP: &str = "3333333333";
    const HANDOVER: &str = "5555555555";

    /// The service holding the cases of the fixture plan's update, close and handover.
    fn fixture_service() -> MemoryApi {
        let api = MemoryApi::default();
        api.add_case(live_case(
            PAYROLL,
            "payroll-phishing",
            CaseStatus::Submitted,
        ));
        api.add_case(live_case(
            LAPTOP,
            "lost-laptop",
            CaseStatus::PostIncidentActivities,
        ));
        api.add_case(live_case(
            HANDOVER,
            "ransomware-finance",
            CaseStatus::Submitted,
        ));
        api
    }

    async fn apply_with(api: &MemoryApi, plan: &Plan, parallelism: usize) -> Vec<CaseOutcome> {
        let options = ApplyOptions {
            parallelism,
            audit: None,
        };
        apply(api, plan, &options, &|_| {}).await
    }

    /// What `sirops plan` would make of these manifests against the service as it is now.
    async fn plan_for(api: &MemoryApi, desired: &[DesiredCase]) -> Plan {
        let claims = Claims::new(
            DEFAULT_SCOPE,
            desired
                .iter()
                .map(|case| (case, format!("cases/{}.yaml", case.name))),
            BTreeMap::new(),
        );
        let options = DiscoverOptions {
            parallelism: 1,
            prune: false,
        };
        let input = discover(api, desired.to_vec(), &claims, options, &|| {})
            .await
            .expect("discovery reads every case");
        build_plan(input)
    }

    /// Each request's operation and what became of it, named as the apply report names it.
    fn results(outcome: &CaseOutcome) -> Vec<(&'static str, &'static str)> {
        outcome
            .requests
            .iter()
            .map(|record| {
                let result = match record.result {
                    RequestResult::Success => "success",
                    RequestResult::AlreadyDone => "alreadyDone",
                    RequestResult::Failed(_) => "failed",
                    RequestResult::NotSent => "notSent",
                };
                (record.operation, result)
            })
            .collect()
    }

    fn operations(requests: &[Request]) -> Vec<&'static str> {
        requests.iter().map(Request::operation).collect()
    }

    fn case_named<'a>(plan: &'a Plan, name: &str) -> &'a CasePlan {
        plan.cases
            .iter()
            .find(|case| case.name == name)
            .unwrap_or_else(|| panic!("no case {name} in the plan"))
    }

    /// The calls made after the first `skip`, for one case, by operation.
    fn calls_for_since(log: &[Call], skip: usize, case_id: &str) -> Vec<&'static str> {
        log[skip..]
            .iter()
            .filter(|call| call.case_id.as_deref() == Some(case_id))
            .map(|call| call.operation)
            .collect()
    }

    #[tokio::test]
    async fn a_case_stops_at_its_failed_request_and_the_other_cases_still_complete() {
        let api = fixture_service();
        api.inject(Fault::refuse("UpdateCaseStatus", ApiErrorKind::AccessDenied).on_case(PAYROLL));
        let plan = Plan::from_cases(vec![update_case(), close_case(), irreversible_case()]);
        let reported = Mutex::new(Vec::new());
        let options = ApplyOptions {
            parallelism: 1,
            audit: None,
        };
        let outcomes = apply(&api, &plan, &options, &|outcome| {
            reported.lock().unwrap().push(outcome.name.clone());
        })
        .await;

        let payroll = &outcomes[0];
        assert_eq!(payroll.completed(), ["UpdateCase"]);
        let failure = payroll.failure().expect("the status move failed");
        assert_eq!(failure.operation, "UpdateCaseStatus");
        assert_eq!(failure.kind, ApiErrorKind::AccessDenied);
        assert_eq!(payroll.case_id.as_deref(), Some(PAYROLL));
        assert!(!payroll.created);
        assert_eq!(
            api.calls_for(PAYROLL),
            ["UpdateCase", "UpdateCaseStatus"],
            "nothing is sent for the case after its failed request"
        );
        let live = api.case(PAYROLL).unwrap();
        assert_eq!(live.title, "Phishing against payroll (credentials entered)");
        assert_eq!(api.statuses(PAYROLL), [CaseStatus::Submitted]);
        assert_eq!(
            results(payroll),
            [
                ("UpdateCase", "success"),
                ("UpdateCaseStatus", "failed"),
                ("UpdateCaseStatus", "notSent")
            ],
            "one record per planned request, the unsent ones included"
        );
        assert!(
            payroll.requests[..2]
                .iter()
                .all(|record| record.started.is_some())
        );
        assert_eq!(payroll.requests[2].started, None);

        assert_eq!(outcomes[1].failure(), None);
        assert_eq!(outcomes[1].completed(), ["CloseCase"]);
        assert_eq!(api.case(LAPTOP).unwrap().status, CaseStatus::Closed);
        assert_eq!(outcomes[2].failure(), None);
        assert_eq!(outcomes[2].completed(), ["UpdateResolverType"]);
        assert_eq!(
            api.case(HANDOVER).unwrap().resolver_type,
            crate::model::ResolverType::Aws
        );
        assert_eq!(
            *reported.lock().unwrap(),
            ["payroll-phishing", "lost-laptop", "ransomware-finance"]
        );
    }

    #[tokio::test]
    async fn a_refused_status_move_the_case_has_not_made_stands_after_one_read() {
        let api = fixture_service();
        api.inject(Fault::refuse("UpdateCaseStatus", ApiErrorKind::Conflict).on_case(PAYROLL));
        let outcomes = apply_with(&api, &Plan::from_cases(vec![update_case()]), 1).await;
        assert_eq!(outcomes[0].completed(), ["UpdateCase"]);
        let failure = outcomes[0].failure().unwrap();
        assert_eq!(
            (failure.operation, &failure.kind),
            ("UpdateCaseStatus", &ApiErrorKind::Conflict)
        );
        assert_eq!(
            api.calls_for(PAYROLL),
            ["UpdateCase", "UpdateCaseStatus", "GetCase"]
        );
        assert_eq!(api.statuses(PAYROLL), [CaseStatus::Submitted]);
    }

    #[tokio::test]
    async fn a_status_move_refused_after_it_took_effect_counts_as_done_and_the_path_goes_on() {
        let api = fixture_service();
        api.inject(
            Fault::lose_response("UpdateCaseStatus", ApiErrorKind::Validation).on_case(PAYROLL),
        );
        let outcomes = apply_with(&api, &Plan::from_cases(vec![update_case()]), 1).await;
        assert_eq!(outcomes[0].failure(), None);
        assert_eq!(
            outcomes[0].completed(),
            ["UpdateCase", "UpdateCaseStatus", "UpdateCaseStatus"]
        );
        assert_eq!(
            results(&outcomes[0]),
            [
                ("UpdateCase", "success"),
                ("UpdateCaseStatus", "alreadyDone"),
                ("UpdateCaseStatus", "success")
            ]
        );
        assert_eq!(
            api.calls_for(PAYROLL),
            [
                "UpdateCase",
                "UpdateCaseStatus",
                "GetCase",
                "UpdateCaseStatus"
            ]
        );
        assert_eq!(
            api.statuses(PAYROLL),
            [
                CaseStatus::Submitted,
                CaseStatus::DetectionAndAnalysis,
                CaseStatus::PostIncidentActivities
            ]
        );
    }

    #[tokio::test]
    async fn a_refused_create_sends_nothing_for_the_case_it_did_not_make() {
        let api = MemoryApi::default();
        api.inject(Fault::refuse(
            "CreateCase",
            ApiErrorKind::Service("InternalServerException".into()),
        ));
        let outcomes = apply_with(&api, &Plan::from_cases(vec![create_case()]), 1).await;
        assert_eq!(outcomes[0].case_id, None);
        assert!(!outcomes[0].created);
        assert!(outcomes[0].completed().is_empty());
        assert_eq!(outcomes[0].failure().unwrap().operation, "CreateCase");
        assert_eq!(api.calls(), ["CreateCase"]);
        assert!(api.cases().is_empty());
    }

    #[tokio::test]
    async fn a_create_whose_response_was_lost_is_found_by_its_tags_and_not_made_again() {
        let api = MemoryApi::default();
        let mut manifest = desired_case("tor-logins");
        manifest.status = Some(CaseStatus::PostIncidentActivities);
        let manifests = [manifest];
        api.inject(Fault::lose_response("CreateCase", ApiErrorKind::Client));

        let first = plan_for(&api, &manifests).await;
        assert_eq!(first.cases[0].action, Action::Create);
        let outcomes = apply_with(&api, &first, 1).await;
        assert_eq!(outcomes[0].failure().unwrap().operation, "CreateCase");
        assert_eq!(outcomes[0].failure().unwrap().kind, ApiErrorKind::Client);
        assert!(outcomes[0].completed().is_empty());
        assert!(!outcomes[0].created);
        let made = api.cases();
        assert_eq!(made.len(), 1, "the create reached the service");
        let case_id = made[0].case_id.clone();
        assert_eq!(made[0].owner_name(), Some("tor-logins"));
        assert_eq!(
            api.calls_for(&case_id),
            ["CreateCase"],
            "no status move follows a create that did not answer"
        );

        let second = plan_for(&api, &manifests).await;
        let case = &second.cases[0];
        assert_eq!(case.action, Action::Update);
        assert_eq!(case.case_id.as_deref(), Some(case_id.as_str()));
        assert_eq!(
            operations(&case.requests),
            ["UpdateCaseStatus", "UpdateCaseStatus"],
            "only the status the lost create left undone is planned"
        );
        let outcomes = apply_with(&api, &second, 1).await;
        assert_eq!(outcomes[0].failure(), None);
        assert_eq!(api.cases().len(), 1, "no second case");
        assert_eq!(
            api.calls().iter().filter(|op| **op == "CreateCase").count(),
            1
        );
        assert_eq!(
            api.case(&case_id).unwrap().status,
            CaseStatus::PostIncidentActivities
        );
        assert!(!plan_for(&api, &manifests).await.has_changes());
    }

    #[tokio::test]
    async fn an_update_whose_response_was_lost_is_planned_again_only_for_what_is_missing() {
        let api = MemoryApi::default();
        api.add_case(live_case(
            PAYROLL,
            "payroll-phishing",
            CaseStatus::Submitted,
        ));
        let mut manifest = desired_case("payroll-phishing");
        manifest.engagement_type = EngagementType::Investigation;
        manifest.status = Some(CaseStatus::PostIncidentActivities);
        let manifests = [manifest];
        api.inject(Fault::lose_response("UpdateCase", ApiErrorKind::Client));

        let first = plan_for(&api, &manifests).await;
        assert_eq!(
            operations(&first.cases[0].requests),
            ["UpdateCase", "UpdateCaseStatus", "UpdateCaseStatus"]
        );
        let before = api.call_log().len();
        let outcomes = apply_with(&api, &first, 1).await;
        assert_eq!(outcomes[0].failure().unwrap().operation, "UpdateCase");
        assert!(outcomes[0].completed().is_empty());
        assert_eq!(
            calls_for_since(&api.call_log(), before, PAYROLL),
            ["UpdateCase"]
        );
        assert_eq!(
            api.case(PAYROLL).unwrap().title,
            "Phishing against the payroll team",
            "the update took effect"
        );

        let second = plan_for(&api, &manifests).await;
        let case = &second.cases[0];
        assert_eq!(
            operations(&case.requests),
            ["UpdateCaseStatus", "UpdateCaseStatus"]
        );
        assert!(
            case.changes.iter().all(|change| change.field == "status"),
            "fields the lost update set are not planned again: {:?}",
            case.changes
        );
        assert_eq!(apply_with(&api, &second, 1).await[0].failure(), None);
        assert!(!plan_for(&api, &manifests).await.has_changes());
    }

    /// Four cases whose plans exercise every ordering rule: an update walking two status steps,
    /// an update then a close, a create followed by what CreateCase cannot carry and a status
    /// step, and an adoption tagging the case before moving it.
    fn mixed_service() -> (MemoryApi, Vec<DesiredCase>) {
        let api = MemoryApi::default();
        api.add_case(live_case("1000000001", "triage", CaseStatus::Submitted));
        api.add_case(live_case(
            "1000000002",
            "laptop",
            CaseStatus::DetectionAndAnalysis,
        ));
        let mut untagged = live_case("1000000003", "", CaseStatus::Submitted);
        untagged.tags = Some(BTreeMap::new());
        api.add_case(untagged);

        let mut triage = desired_case("triage");
        triage.status = Some(CaseStatus::PostIncidentActivities);
        let mut laptop = desired_case("laptop");
        laptop.status = Some(CaseStatus::Closed);
        let mut new = desired_case("new-case");
        new.status = Some(CaseStatus::DetectionAndAnalysis);
        new.actual_incident_start_date = Some(date());
        let mut vendor = desired_case("vendor");
        vendor.case_id = Some("1000000003".into());
        vendor.status = Some(CaseStatus::ContainmentEradicationAndRecovery);
        (api, vec![triage, laptop, new, vendor])
    }

    const MIXED_ORDER: [(&str, &[&str]); 4] = [
        (
            "triage",
            &["UpdateCase", "UpdateCaseStatus", "UpdateCaseStatus"],
        ),
        ("laptop", &["UpdateCase", "CloseCase"]),
        (
            "new-case",
            &["CreateCase", "UpdateCase", "UpdateCaseStatus"],
        ),
        (
            "vendor",
            &[
                "UpdateCase",
                "TagResource",
                "UpdateCaseStatus",
                "UpdateCaseStatus",
            ],
        ),
    ];

    /// Applies the mixed plan and checks each case's requests reached the service in the
    /// planned order, one legal status step at a time. Returns the apply's calls.
    async fn apply_mixed_plan(parallelism: usize) -> Vec<Call> {
        let (api, manifests) = mixed_service();
        let plan = plan_for(&api, &manifests).await;
        for (name, expected) in MIXED_ORDER {
            assert_eq!(operations(&case_named(&plan, name).requests), expected);
        }
        let before = api.call_log().len();
        let outcomes = apply_with(&api, &plan, parallelism).await;
        let log = api.call_log()[before..].to_vec();

        let planned: Vec<&str> = plan.cases.iter().map(|case| case.name.as_str()).collect();
        let reported: Vec<&str> = outcomes.iter().map(|case| case.name.as_str()).collect();
        assert_eq!(reported, planned, "outcomes come back in plan order");
        for outcome in &outcomes {
            assert_eq!(outcome.failure(), None, "{}", outcome.name);
            let case = case_named(&plan, &outcome.name);
            let case_id = outcome.case_id.as_deref().unwrap();
            assert_eq!(
                calls_for_since(&log, 0, case_id),
                operations(&case.requests),
                "{}: the service got the requests in the planned order",
                outcome.name
            );
            assert_eq!(outcome.completed(), operations(&case.requests));
            assert_eq!(
                api.statuses(case_id),
                case.status_path,
                "{}: one legal step at a time along the planned path",
                outcome.name
            );
        }
        let vendor = api.case("1000000003").unwrap();
        assert_eq!(vendor.owner_name(), Some("vendor"));
        assert!(!plan_for(&api, &manifests).await.has_changes());
        log
    }

    /// True when some case has calls on both sides of another case's call.
    fn cases_interleave(log: &[Call]) -> bool {
        let case_of = |call: &Call| call.case_id.clone();
        (0..log.len()).any(|first| {
            (first + 1..log.len()).any(|middle| {
                case_of(&log[middle]) != case_of(&log[first])
                    && log[middle + 1..]
                        .iter()
                        .any(|last| case_of(last) == case_of(&log[first]))
            })
        })
    }

    #[tokio::test]
    async fn one_at_a_time_each_case_sends_its_requests_in_the_planned_order() {
        let log = apply_mixed_plan(1).await;
        assert!(
            !cases_interleave(&log),
            "parallelism 1 runs one case at a time"
        );
    }

    #[tokio::test]
    async fn in_parallel_cases_interleave_and_each_keeps_its_planned_order() {
        let log = apply_mixed_plan(4).await;
        assert!(
            cases_interleave(&log),
            "cases ran one after another: {log:?}"
        );
    }

    #[tokio::test]
    async fn tags_planned_before_their_case_existed_go_to_the_case_the_create_made() {
        let api = MemoryApi::default();
        let Request::CreateCase(create) = crate::plan::fixtures::create_request("late-tags") else {
            unreachable!()
        };
        let create = CreateCaseInput {
            tags: BTreeMap::from([(OWNERSHIP_TAG_KEY.into(), "late-tags".into())]),
            ..create
        };
        let mut case = CasePlan::new("late-tags".into(), None, Action::Create);
        case.requests = vec![
            Request::CreateCase(create),
            Request::TagResource(TagResourceInput {
                resource_arn: None,
                tags: BTreeMap::from([("team".into(), "soc".into())]),
            }),
            move_to(CaseStatus::DetectionAndAnalysis),
            close(),
        ];
        let outcomes = apply_with(&api, &Plan::from_cases(vec![case]), 1).await;
        assert_eq!(outcomes[0].failure(), None);
        assert!(outcomes[0].created);
        let case_id = outcomes[0].case_id.clone().unwrap();
        assert_eq!(
            api.calls_for(&case_id),
            [
                "CreateCase",
                "GetCase",
                "TagResource",
                "UpdateCaseStatus",
                "CloseCase"
            ]
        );
        let live: LiveCase = api.case(&case_id).unwrap();
        assert_eq!(live.tags.unwrap()["team"], "soc");
        assert_eq!(
            api.statuses(&case_id),
            [
                CaseStatus::Submitted,
                CaseStatus::DetectionAndAnalysis,
                CaseStatus::Closed
            ]
        );
    }
}
