//! Validation as strict as the service: whole-value patterns, unique lists, path and body
//! members in one ValidationException, page tokens, and the readings the API leaves open.

use aws_sdk_securityir::operation::close_case::CloseCaseError;
use aws_sdk_securityir::operation::create_case::CreateCaseError;
use aws_sdk_securityir::operation::list_cases::ListCasesError;
use aws_sdk_securityir::operation::update_case::UpdateCaseError;
use aws_sdk_securityir::operation::update_case_status::UpdateCaseStatusError;
use aws_sdk_securityir::types::{
    AwsRegion, ImpactedAwsRegion, SelfManagedCaseStatus, ThreatActorIp, ValidationExceptionReason,
};

use crate::support::{
    Refused, SIGNED, close_case, create, field_names as names, get_case, list_cases_after,
    new_case, raw_exchange, start, start_and_connect, update_case_status, watcher,
};

#[tokio::test]
async fn patterns_match_whole_values() {
    let (emulator, client) = start_and_connect().await;
    let error = new_case(&client, "Whole values")
        .watchers(watcher("Alice <a@x.com>"))
        .threat_actor_ip_addresses(
            ThreatActorIp::builder()
                .ip_address("300.1.1.1")
                .build()
                .unwrap(),
        )
        .impacted_services("EC2_instance")
        .send()
        .await
        .service_error();
    // The refusal checks share a shape across files; each is for another operation and rule.
    let CreateCaseError::ValidationException(validation) = error else {
        panic!("{error:?}");
    };
    assert_eq!(
        names(validation.field_list()),
        [
            "watchers[1].email",
            "threatActorIpAddresses[0].ipAddress",
            "impactedServices[0]"
        ]
    );
    assert_eq!(emulator.stats().cases, 0);
    emulator.shutdown().await;
}

#[tokio::test]
async fn unique_lists_refuse_an_item_given_twice() {
    let (emulator, client) = start_and_connect().await;
    let region = || {
        ImpactedAwsRegion::builder()
            .region(AwsRegion::UsEast1)
            .build()
            .unwrap()
    };
    // The same refusal check as above for another rule: each rule names its own fields.
    let error = new_case(&client, "Twice")
        .watchers(watcher("ALICE@example.com"))
        .impacted_accounts("123456789012")
        .impacted_services("Amazon S3")
        .impacted_services("Amazon S3")
        .impacted_aws_regions(region())
        .impacted_aws_regions(region())
        .send()
        .await
        .service_error();
    let CreateCaseError::ValidationException(validation) = error else {
        panic!("{error:?}");
    };
    assert_eq!(
        names(validation.field_list()),
        [
            "impactedAccounts[1]",
            "watchers[1]",
            "impactedServices[1]",
            "impactedAwsRegions[1]"
        ]
    );
    let case_id = create(&client, "Once").await;
    let error = client
        .update_case()
        .case_id(&case_id)
        .impacted_accounts_to_add("210987654321")
        .impacted_accounts_to_add("210987654321")
        .send()
        .await
        .service_error();
    let UpdateCaseError::ValidationException(validation) = error else {
        panic!("{error:?}");
    };
    assert_eq!(names(validation.field_list()), ["impactedAccountsToAdd[1]"]);
    emulator.shutdown().await;
}

#[tokio::test]
async fn path_and_body_members_are_named_in_one_exception() {
    let emulator = start().await;
    let response = raw_exchange(
        emulator.address(),
        "POST",
        "/v1/cases/12ab/update-case",
        SIGNED,
        br#"{"title": "", "impactedServicesToAdd": ["EC2_instance"]}"#,
    )
    .await;
    assert_eq!(response.status, 400, "{}", response.body);
    let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
    assert_eq!(body["reason"], "FIELD_VALIDATION_FAILED");
    let fields: Vec<&str> = body["fieldList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|field| field["name"].as_str().unwrap())
        .collect();
    for expected in ["caseId", "title", "impactedServicesToAdd[0]"] {
        assert!(fields.contains(&expected), "{expected} in {fields:?}");
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn page_tokens_are_checked() {
    let (emulator, client) = start_and_connect().await;
    let error = list_cases_after(&client, &"t".repeat(2001))
        .await
        .service_error();
    let ListCasesError::ValidationException(validation) = error else {
        panic!("{error:?}");
    };
    assert_eq!(names(validation.field_list()), ["nextToken"]);
    // Like the refusals in errors.rs, for a token no page gave: only the check's shape is shared.
    let error = list_cases_after(&client, "not-a-token-we-gave")
        .await
        .service_error();
    assert!(
        matches!(error, ListCasesError::ValidationException(_)),
        "{error:?}"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_strictest_reading_where_the_api_is_silent() {
    let (emulator, client) = start_and_connect().await;
    let case_id = create(&client, "Strict").await;

    // Adding and deleting one watcher in one call has no defined outcome: refused.
    let error = client
        .update_case()
        .case_id(&case_id)
        .watchers_to_add(watcher("alice@example.com"))
        .watchers_to_delete(watcher("Alice@Example.com"))
        .send()
        .await
        .service_error();
    let UpdateCaseError::ValidationException(validation) = error else {
        panic!("{error:?}");
    };
    assert_eq!(names(validation.field_list()), ["watchersToAdd[0]"]);

    // Adds go before deletes: a swap at the limit passes it mid-call and is refused.
    let mut fill = client.update_case().case_id(&case_id);
    for index in 1..30 {
        fill = fill.watchers_to_add(watcher(&format!("w{index}@example.com")));
    }
    fill.send().await.unwrap();
    let error = client
        .update_case()
        .case_id(&case_id)
        .watchers_to_add(watcher("new@example.com"))
        .watchers_to_delete(watcher("w1@example.com"))
        .send()
        .await
        .service_error();
    assert!(
        matches!(error, UpdateCaseError::ServiceQuotaExceededException(_)),
        "{error:?}"
    );
    let watchers = get_case(&client, &case_id).await.unwrap().watchers().len();
    assert_eq!(watchers, 30, "a refused call changes nothing");

    // A move to the status the case has is not an edge of the machine.
    let error = update_case_status(&client, &case_id, SelfManagedCaseStatus::Submitted)
        .await
        .service_error();
    let UpdateCaseStatusError::ValidationException(validation) = error else {
        panic!("{error:?}");
    };
    assert_eq!(validation.reason(), &ValidationExceptionReason::Other);

    // A second CloseCase finds the case closed.
    close_case(&client, &case_id).await.unwrap();
    let error = close_case(&client, &case_id).await.service_error();
    assert!(
        matches!(error, CloseCaseError::ConflictException(_)),
        "{error:?}"
    );
    emulator.shutdown().await;
}
