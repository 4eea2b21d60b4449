//! Every error the emulator answers, as the SDK parses it: the right variant with its members.

use aws_sdk_securityir::operation::close_case::CloseCaseError;
use aws_sdk_securityir::operation::create_case::CreateCaseError;
use aws_sdk_securityir::operation::get_case::GetCaseError;
use aws_sdk_securityir::operation::list_cases::ListCasesError;
use aws_sdk_securityir::operation::tag_resource::TagResourceError;
use aws_sdk_securityir::operation::update_case::UpdateCaseError;
use aws_sdk_securityir::operation::update_case_status::UpdateCaseStatusError;
use aws_sdk_securityir::operation::update_resolver_type::UpdateResolverTypeError;
use aws_sdk_securityir::types::SelfManagedCaseStatus::{
    DetectionAndAnalysis, PostIncidentActivities, Submitted,
};
use aws_sdk_securityir::types::{ResolverType, ValidationExceptionReason};

use crate::support::{
    Refused, SIGNED, close_case, create, create_with_token, created, field_names, get_case,
    list_cases_after, new_case, raw_request, start, start_and_connect, tag_resource,
    update_case_status, update_resolver_type, update_title, watcher,
};

#[tokio::test]
async fn invalid_members_are_a_validation_exception_naming_each_field() {
    let (emulator, client) = start_and_connect().await;
    let error = new_case(&client, &"t".repeat(301))
        .impacted_accounts("12345")
        .watchers(watcher("not-an-email"))
        .impacted_services("!")
        .send()
        .await
        .service_error();
    let CreateCaseError::ValidationException(validation) = error else {
        panic!("expected ValidationException, got {error:?}");
    };
    assert_eq!(
        validation.reason(),
        &ValidationExceptionReason::FieldValidationFailed
    );
    let names = field_names(validation.field_list());
    for expected in [
        "title",
        "impactedAccounts[1]",
        "watchers[1].email",
        "impactedServices[0]",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    assert_eq!(emulator.stats().cases, 0);
    assert_eq!(emulator.stats().errors.get("ValidationException"), Some(&1));
    emulator.shutdown().await;
}

#[tokio::test]
async fn missing_required_members_and_bad_page_sizes_are_validation_exceptions() {
    let (emulator, client) = start_and_connect().await;
    // Either the SDK refuses locally or the emulator names the missing members.
    let error = client.create_case().send().await.unwrap_err();
    if let Some(service_error) = error.as_service_error() {
        let CreateCaseError::ValidationException(validation) = service_error else {
            panic!("{service_error:?}")
        };
        let names = field_names(validation.field_list());
        for expected in ["resolverType", "title", "description", "watchers"] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
    }

    let error = client
        .list_cases()
        .max_results(26)
        .send()
        .await
        .service_error();
    let ListCasesError::ValidationException(validation) = error else {
        panic!("{error:?}")
    };
    assert_eq!(field_names(validation.field_list()), ["maxResults"]);

    let error = list_cases_after(&client, "forged").await.service_error();
    let ListCasesError::ValidationException(validation) = error else {
        panic!("{error:?}")
    };
    assert_eq!(field_names(validation.field_list()), ["nextToken"]);

    let case_id = create(&client, "Metadata").await;
    let error = client
        .update_case()
        .case_id(&case_id)
        .set_case_metadata(Some(vec![]))
        .send()
        .await
        .service_error();
    let UpdateCaseError::ValidationException(validation) = error else {
        panic!("{error:?}")
    };
    assert_eq!(field_names(validation.field_list()), ["caseMetadata"]);
    emulator.shutdown().await;
}

#[tokio::test]
async fn unknown_and_malformed_case_ids_are_not_found_and_invalid() {
    let (emulator, client) = start_and_connect().await;
    let error = get_case(&client, "9999999999").await.service_error();
    assert!(
        matches!(error, GetCaseError::ResourceNotFoundException(_)),
        "{error:?}"
    );
    let error = get_case(&client, "12ab").await.service_error();
    let GetCaseError::ValidationException(validation) = error else {
        panic!("{error:?}")
    };
    // Both its length and its pattern are wrong: each is named.
    assert_eq!(field_names(validation.field_list()), ["caseId", "caseId"]);
    let unknown = "arn:aws:security-ir:us-east-1:123456789012:case/9999999999";
    let error = tag_resource(&client, unknown, &[("a", "b")])
        .await
        .service_error();
    assert!(
        matches!(error, TagResourceError::ResourceNotFoundException(_)),
        "{error:?}"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_illegal_status_move_names_both_statuses() {
    let (emulator, client) = start_and_connect().await;
    let case_id = create(&client, "Machine").await;
    let error = update_case_status(&client, &case_id, PostIncidentActivities)
        .await
        .service_error();
    let UpdateCaseStatusError::ValidationException(validation) = error else {
        panic!("{error:?}")
    };
    let message = validation.message();
    assert!(
        message.contains("Submitted") && message.contains("Post-incident Activities"),
        "{message}"
    );
    assert_eq!(field_names(validation.field_list()), ["caseStatus"]);

    update_case_status(&client, &case_id, DetectionAndAnalysis)
        .await
        .unwrap();
    let error = update_case_status(&client, &case_id, Submitted)
        .await
        .service_error();
    assert!(
        matches!(error, UpdateCaseStatusError::ValidationException(_)),
        "{error:?}"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn aws_resolved_cases_refuse_status_updates_and_the_way_back_to_self() {
    let (emulator, client) = start_and_connect().await;
    let case_id = created(new_case(&client, "AWS").resolver_type(ResolverType::Aws)).await;
    let error = update_case_status(&client, &case_id, DetectionAndAnalysis)
        .await
        .service_error();
    assert!(
        matches!(error, UpdateCaseStatusError::ValidationException(_)),
        "{error:?}"
    );
    // Refused like the metadata update above, but through UpdateResolverType's own error type.
    let error = update_resolver_type(&client, &case_id, ResolverType::SelfValue)
        .await
        .service_error();
    let UpdateResolverTypeError::ValidationException(validation) = error else {
        panic!("{error:?}")
    };
    assert_eq!(field_names(validation.field_list()), ["resolverType"]);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_closed_case_refuses_changes_with_a_conflict_naming_it() {
    let (emulator, client) = start_and_connect().await;
    let case_id = create(&client, "Closed").await;
    close_case(&client, &case_id).await.unwrap();
    let error = close_case(&client, &case_id).await.service_error();
    let CloseCaseError::ConflictException(conflict) = error else {
        panic!("{error:?}")
    };
    assert_eq!(conflict.resource_id(), case_id);
    assert_eq!(conflict.resource_type(), "case");
    let error = update_title(&client, &case_id, "Reopened?")
        .await
        .service_error();
    assert!(
        matches!(error, UpdateCaseError::ConflictException(_)),
        "{error:?}"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_client_token_reused_for_another_request_is_a_conflict() {
    let (emulator, client) = start_and_connect().await;
    let first = create_with_token(&client, "First", "token-1")
        .await
        .unwrap();
    let error = create_with_token(&client, "Second", "token-1")
        .await
        .service_error();
    let CreateCaseError::ConflictException(conflict) = error else {
        panic!("{error:?}")
    };
    assert_eq!(conflict.resource_id(), first.case_id());
    assert_eq!(emulator.stats().cases, 1);
    emulator.shutdown().await;
}

#[tokio::test]
async fn lists_over_their_limit_after_an_update_exceed_the_quota() {
    let (emulator, client) = start_and_connect().await;
    let case_id = create(&client, "Crowded").await;
    let mut update = client.update_case().case_id(&case_id);
    for index in 0..30 {
        update = update.watchers_to_add(watcher(&format!("w{index}@example.com")));
    }
    let error = update.send().await.service_error();
    let UpdateCaseError::ServiceQuotaExceededException(quota) = error else {
        panic!("{error:?}")
    };
    assert_eq!(quota.resource_id(), case_id);
    let case = get_case(&client, &case_id).await.unwrap();
    assert_eq!(case.watchers().len(), 1, "a refused update changes nothing");
    emulator.shutdown().await;
}

#[tokio::test]
async fn unsigned_requests_unknown_paths_and_the_emulator_paths() {
    let emulator = start().await;
    let address = emulator.address();
    let (status, body) = raw_request(address, "GET", "/v1/cases/1000000001/get-case", "").await;
    assert_eq!(status, 403);
    assert!(body.contains("Signature"), "{body}");
    let (status, body) = raw_request(address, "GET", "/v1/nothing-here", SIGNED).await;
    assert_eq!(
        status, 400,
        "an unknown operation, as the model's ValidationException says it"
    );
    assert!(body.contains("UNKNOWN_OPERATION"), "{body}");
    let (status, body) = raw_request(address, "GET", "/_emulator/stats", "").await;
    assert_eq!(status, 200);
    let stats: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(stats["errors"]["AccessDeniedException"], 1);
    assert_eq!(stats["errors"]["ValidationException"], 1);
    assert_eq!(stats["operations"]["Unknown"], 1);
    assert_eq!(stats["requests"], 2);
    let (status, _) = raw_request(address, "POST", "/_emulator/reset", "").await;
    assert_eq!(status, 204);
    assert_eq!(emulator.stats().requests, 0);
    emulator.shutdown().await;
}
