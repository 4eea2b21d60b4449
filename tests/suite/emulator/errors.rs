//! Every error the emulator answers, as the SDK parses it: the right variant with its members.

use aws_sdk_securityir::operation::close_case::CloseCaseError;
use aws_sdk_securityir::operation::create_case::CreateCaseError;
use aws_sdk_securityir::operation::get_case::GetCaseError;
use aws_sdk_securityir::operation::list_cases::ListCasesError;
use aws_sdk_securityir::operation::tag_resource::TagResourceError;
use aws_sdk_securityir::operation::update_case::UpdateCaseError;
use aws_sdk_securityir::operation::update_case_status::UpdateCaseStatusError;
use aws_sdk_securityir::operation::update_resolver_type::UpdateResolverTypeError;
use aws_sdk_securityir::types::{ResolverType, SelfManagedCaseStatus, ValidationExceptionReason};

use super::support::{SIGNED, client, create, new_case, raw_request, start, watcher};

fn field_names(fields: &[aws_sdk_securityir::types::ValidationExceptionField]) -> Vec<&str> {
    fields.iter().map(|field| field.name()).collect()
}

#[tokio::test]
async fn invalid_members_are_a_validation_exception_naming_each_field() {
    let emulator = start().await;
    let client = client(&emulator.endpoint_url());
    let error = new_case(&client, &"t".repeat(301))
        .impacted_accounts("12345")
        .watchers(watcher("not-an-email"))
        .impacted_services("!")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
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
    let emulator = start().await;
    let client = client(&emulator.endpoint_url());
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
        .unwrap_err()
        .into_service_error();
    let ListCasesError::ValidationException(validation) = error else {
        panic!("{error:?}")
    };
    assert_eq!(field_names(validation.field_list()), ["maxResults"]);

    let error = client
        .list_cases()
        .next_token("forged")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
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
        .unwrap_err()
        .into_service_error();
    let UpdateCaseError::ValidationException(validation) = error else {
        panic!("{error:?}")
    };
    assert_eq!(field_names(validation.field_list()), ["caseMetadata"]);
    emulator.shutdown().await;
}

#[tokio::test]
async fn unknown_and_malformed_case_ids_are_not_found_and_invalid() {
    let emulator = start().await;
    let client = client(&emulator.endpoint_url());
    let error = client
        .get_case()
        .case_id("9999999999")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(error, GetCaseError::ResourceNotFoundException(_)),
        "{error:?}"
    );
    let error = client
        .get_case()
        .case_id("12ab")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let GetCaseError::ValidationException(validation) = error else {
        panic!("{error:?}")
    };
    // Both its length and its pattern are wrong: each is named.
    assert_eq!(field_names(validation.field_list()), ["caseId", "caseId"]);
    let error = client
        .tag_resource()
        .resource_arn("arn:aws:security-ir:us-east-1:123456789012:case/9999999999")
        .tags("a", "b")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(error, TagResourceError::ResourceNotFoundException(_)),
        "{error:?}"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_illegal_status_move_names_both_statuses() {
    let emulator = start().await;
    let client = client(&emulator.endpoint_url());
    let case_id = create(&client, "Machine").await;
    let error = client
        .update_case_status()
        .case_id(&case_id)
        .case_status(SelfManagedCaseStatus::PostIncidentActivities)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let UpdateCaseStatusError::ValidationException(validation) = error else {
        panic!("{error:?}")
    };
    let message = validation.message();
    assert!(
        message.contains("Submitted") && message.contains("Post-incident Activities"),
        "{message}"
    );
    assert_eq!(field_names(validation.field_list()), ["caseStatus"]);

    client
        .update_case_status()
        .case_id(&case_id)
        .case_status(SelfManagedCaseStatus::DetectionAndAnalysis)
        .send()
        .await
        .unwrap();
    let error = client
        .update_case_status()
        .case_id(&case_id)
        .case_status(SelfManagedCaseStatus::Submitted)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(error, UpdateCaseStatusError::ValidationException(_)),
        "{error:?}"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn aws_resolved_cases_refuse_status_updates_and_the_way_back_to_self() {
    let emulator = start().await;
    let client = client(&emulator.endpoint_url());
    let case_id = new_case(&client, "AWS")
        .resolver_type(ResolverType::Aws)
        .send()
        .await
        .unwrap()
        .case_id()
        .to_string();
    let error = client
        .update_case_status()
        .case_id(&case_id)
        .case_status(SelfManagedCaseStatus::DetectionAndAnalysis)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(error, UpdateCaseStatusError::ValidationException(_)),
        "{error:?}"
    );
    let error = client
        .update_resolver_type()
        .case_id(&case_id)
        .resolver_type(ResolverType::SelfValue)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let UpdateResolverTypeError::ValidationException(validation) = error else {
        panic!("{error:?}")
    };
    assert_eq!(field_names(validation.field_list()), ["resolverType"]);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_closed_case_refuses_changes_with_a_conflict_naming_it() {
    let emulator = start().await;
    let client = client(&emulator.endpoint_url());
    let case_id = create(&client, "Closed").await;
    client.close_case().case_id(&case_id).send().await.unwrap();
    let error = client
        .close_case()
        .case_id(&case_id)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let CloseCaseError::ConflictException(conflict) = error else {
        panic!("{error:?}")
    };
    assert_eq!(conflict.resource_id(), case_id);
    assert_eq!(conflict.resource_type(), "case");
    let error = client
        .update_case()
        .case_id(&case_id)
        .title("Reopened?")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(error, UpdateCaseError::ConflictException(_)),
        "{error:?}"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_client_token_reused_for_another_request_is_a_conflict() {
    let emulator = start().await;
    let client = client(&emulator.endpoint_url());
    let first = new_case(&client, "First")
        .client_token("token-1")
        .send()
        .await
        .unwrap();
    let error = new_case(&client, "Second")
        .client_token("token-1")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let CreateCaseError::ConflictException(conflict) = error else {
        panic!("{error:?}")
    };
    assert_eq!(conflict.resource_id(), first.case_id());
    assert_eq!(emulator.stats().cases, 1);
    emulator.shutdown().await;
}

#[tokio::test]
async fn lists_over_their_limit_after_an_update_exceed_the_quota() {
    let emulator = start().await;
    let client = client(&emulator.endpoint_url());
    let case_id = create(&client, "Crowded").await;
    let mut update = client.update_case().case_id(&case_id);
    for index in 0..30 {
        update = update.watchers_to_add(watcher(&format!("w{index}@example.com")));
    }
    let error = update.send().await.unwrap_err().into_service_error();
    let UpdateCaseError::ServiceQuotaExceededException(quota) = error else {
        panic!("{error:?}")
    };
    assert_eq!(quota.resource_id(), case_id);
    let case = client.get_case().case_id(&case_id).send().await.unwrap();
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
