use std::collections::BTreeMap;

use super::*;
use crate::live::memory::MemoryApi;
use crate::model::{CaseStatus, DEFAULT_SCOPE, OWNERSHIP_TAG_KEY, SCOPE_TAG_KEY};
use crate::plan::fixtures::{desired_case, live_case};

#[tokio::test]
async fn a_tag_read_sent_ahead_to_the_wrong_arn_is_read_again_at_the_right_one() {
    let api = MemoryApi::default();
    let mut desired = Vec::new();
    for (index, region) in ["us-east-1", "us-east-1", "eu-west-1"].iter().enumerate() {
        let case_id = format!("100000000{index}");
        let name = format!("case-{index}");
        let mut case = live_case(&case_id, &name, CaseStatus::Submitted);
        case.case_arn = format!("arn:aws:security-ir:{region}:123456789012:case/{case_id}");
        case.tags
            .as_mut()
            .unwrap()
            .insert(SCOPE_TAG_KEY.into(), DEFAULT_SCOPE.into());
        api.add_case(case);
        let mut manifest = desired_case(&name);
        manifest.case_id = Some(case_id);
        desired.push(manifest);
    }
    let claims = Claims::new(
        DEFAULT_SCOPE,
        desired.iter().map(|desired| (desired, String::new())),
        BTreeMap::new(),
    );
    let options = DiscoverOptions {
        parallelism: 1,
        prune: false,
    };
    let input = discover(&api, desired, &claims, options, &|| {})
        .await
        .unwrap();
    for (desired, binding) in &input.manifests {
        let Binding::Found { live, .. } = binding else {
            panic!("{} not bound: {binding:?}", desired.name);
        };
        assert_eq!(live.owner_name(), Some(desired.name.as_str()));
        assert_eq!(live.tags.as_ref().unwrap()[OWNERSHIP_TAG_KEY], desired.name);
    }
    let reads = api.tag_reads();
    assert_eq!(
        reads,
        [
            "arn:aws:security-ir:us-east-1:123456789012:case/1000000000",
            "arn:aws:security-ir:us-east-1:123456789012:case/1000000001",
            "arn:aws:security-ir:us-east-1:123456789012:case/1000000002",
            "arn:aws:security-ir:eu-west-1:123456789012:case/1000000002",
        ],
        "the first read learns the prefix, the second goes ahead, the third is read again"
    );
}

mod failures {
    //! A read that fails is the failing case's alone, unless no call can get past it or the
    //! cases a create must not duplicate can no longer all be seen.

    use std::collections::BTreeMap;

    use super::*;
    use crate::live::ApiErrorKind;
    use crate::live::memory::{Fault, MemoryApi};
    use crate::model::{CaseStatus, DEFAULT_SCOPE};
    use crate::plan::bind::Claim;
    use crate::plan::fixtures::{create_request, desired_case, live_case};
    use crate::plan::{Action, build_plan};

    /// Three owned cases, `case-0` to `case-2`, and their manifests, naming their case by id
    /// when `by_id`, else left to be found by tag.
    fn three_owned_cases(by_id: bool) -> (MemoryApi, Vec<DesiredCase>) {
        let api = MemoryApi::default();
        let mut desired = Vec::new();
        for index in 0..3 {
            let case_id = format!("200000000{index}");
            let name = format!("case-{index}");
            api.add_case(live_case(&case_id, &name, CaseStatus::Submitted));
            let mut manifest = desired_case(&name);
            manifest.case_id = by_id.then_some(case_id);
            desired.push(manifest);
        }
        (api, desired)
    }

    fn claims_of(desired: &[DesiredCase]) -> Claims {
        Claims::new(
            DEFAULT_SCOPE,
            desired.iter().map(|case| (case, String::new())),
            BTreeMap::new(),
        )
    }

    async fn discover_with(
        api: &MemoryApi,
        desired: Vec<DesiredCase>,
        parallelism: usize,
        prune: bool,
    ) -> Result<PlanInput, ApiError> {
        let claims = claims_of(&desired);
        let options = DiscoverOptions { parallelism, prune };
        discover(api, desired, &claims, options, &|| {}).await
    }

    fn assert_found(binding: &Binding, case_id: &str) {
        match binding {
            Binding::Found { live, claim } => {
                assert_eq!(live.case_id, case_id);
                assert_eq!(*claim, Claim::Owned);
            }
            other => panic!("case {case_id} not found: {other:?}"),
        }
    }

    fn failure_of(binding: &Binding) -> &str {
        match binding {
            Binding::Failed(message) => message,
            other => panic!("expected a failed binding, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_case_read_that_fails_fails_that_case_only_and_plans_no_create_for_it() {
        let (api, desired) = three_owned_cases(false);
        api.inject(Fault::refuse("GetCase", ApiErrorKind::AccessDenied).on_case("2000000001"));
        let input = discover_with(&api, desired, 3, false).await.unwrap();

        assert_found(&input.manifests[0].1, "2000000000");
        let failure = failure_of(&input.manifests[1].1);
        assert!(
            failure.starts_with("GetCase failed: AccessDeniedException"),
            "{failure}"
        );
        assert_found(&input.manifests[2].1, "2000000002");

        let plan = build_plan(input);
        let failed = plan
            .cases
            .iter()
            .find(|case| case.name == "case-1")
            .unwrap();
        assert_eq!(failed.action, Action::Error);
        assert!(failed.requests.is_empty());
        assert!(
            plan.cases.iter().all(|case| case.action != Action::Create),
            "an unreadable case is never taken for a missing one"
        );
    }

    #[tokio::test]
    async fn a_tag_read_that_fails_for_a_case_named_by_id_fails_that_case_only() {
        let (api, desired) = three_owned_cases(true);
        api.inject(
            Fault::refuse(
                "ListTagsForResource",
                ApiErrorKind::Service("InternalServerException".into()),
            )
            .on_case("2000000001"),
        );
        let input = discover_with(&api, desired, 1, false).await.unwrap();
        assert_found(&input.manifests[0].1, "2000000000");
        let failure = failure_of(&input.manifests[1].1);
        assert!(
            failure.starts_with("ListTagsForResource failed: InternalServerException"),
            "{failure}"
        );
        assert_found(&input.manifests[2].1, "2000000002");
        assert!(
            !api.calls().contains(&"ListCases"),
            "manifests bound by id need no listing"
        );
    }

    #[tokio::test]
    async fn a_read_no_call_can_get_past_ends_discovery() {
        let (api, desired) = three_owned_cases(true);
        api.inject(Fault::refuse("GetCase", ApiErrorKind::NotActive).call(2));
        let error = discover_with(&api, desired, 1, false).await.unwrap_err();
        assert_eq!(error.operation, "GetCase");
        assert_eq!(error.kind, ApiErrorKind::NotActive);
    }

    #[tokio::test]
    async fn a_failed_tag_read_in_the_scan_ends_discovery_instead_of_planning_a_create_blind() {
        let (api, mut desired) = three_owned_cases(true);
        desired.push(desired_case("not-yet-created"));
        api.inject(
            Fault::refuse("ListTagsForResource", ApiErrorKind::AccessDenied).on_case("2000000002"),
        );
        let error = discover_with(&api, desired, 2, false).await.unwrap_err();
        assert_eq!(error.operation, "ListTagsForResource");
        assert_eq!(error.kind, ApiErrorKind::AccessDenied);
    }

    #[tokio::test]
    async fn a_failed_listing_ends_discovery_before_any_other_read() {
        let (api, desired) = three_owned_cases(false);
        api.inject(Fault::refuse(
            "ListCases",
            ApiErrorKind::Service("InternalServerException".into()),
        ));
        let error = discover_with(&api, desired, 2, false).await.unwrap_err();
        assert_eq!(error.operation, "ListCases");
        assert_eq!(api.calls(), ["ListCases"]);
    }

    #[tokio::test]
    async fn an_orphan_that_cannot_be_read_is_reported_for_that_case_only_and_not_closed() {
        let (api, mut desired) = three_owned_cases(false);
        // case-0 and case-2 lose their manifests: orphans of the scope.
        desired.retain(|case| case.name == "case-1");
        api.inject(Fault::refuse("GetCase", ApiErrorKind::AccessDenied).on_case("2000000000"));
        let input = discover_with(&api, desired, 2, true).await.unwrap();
        assert_found(&input.manifests[0].1, "2000000001");
        assert_eq!(input.orphans.len(), 2);
        match &input.orphans[0] {
            Orphan::Unreadable {
                case_id,
                name,
                error,
            } => {
                assert_eq!(case_id, "2000000000");
                assert_eq!(name.as_deref(), Some("case-0"));
                assert!(error.starts_with("GetCase failed: AccessDenied"), "{error}");
            }
            other @ Orphan::Found(_) => panic!("expected an unreadable orphan, got {other:?}"),
        }
        let Orphan::Found(found) = &input.orphans[1] else {
            panic!("case-2 was readable: {:?}", input.orphans[1]);
        };
        assert_eq!(found.case_id, "2000000002");

        let plan = build_plan(input);
        let closed: Vec<_> = plan.pruned().map(|case| case.name.as_str()).collect();
        assert_eq!(closed, ["case-2"]);
    }

    #[tokio::test]
    async fn a_case_made_by_a_create_whose_response_was_lost_binds_to_its_manifest() {
        let api = MemoryApi::default();
        api.inject(Fault::lose_response("CreateCase", ApiErrorKind::Client));
        let manifest = desired_case("tor-logins");
        let crate::request::Request::CreateCase(mut create) = create_request("tor-logins") else {
            unreachable!()
        };
        create
            .tags
            .insert(crate::model::SCOPE_TAG_KEY.into(), DEFAULT_SCOPE.into());
        let lost = api
            .send(&crate::request::Request::CreateCase(create))
            .await
            .unwrap_err();
        assert_eq!(lost.kind, ApiErrorKind::Client);
        let made = api.cases()[0].case_id.clone();

        let input = discover_with(&api, vec![manifest], 1, false).await.unwrap();
        assert_found(&input.manifests[0].1, &made);
        let plan = build_plan(input);
        assert!(
            plan.cases[0]
                .requests
                .iter()
                .all(|request| request.operation() != "CreateCase"),
            "{:?}",
            plan.cases[0].requests
        );
    }
}
