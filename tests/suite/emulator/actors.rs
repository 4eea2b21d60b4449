//! Other people, AWS's responders, other regions and accounts, and the wire details every
//! client sees.

use std::time::Duration;

use aws_sdk_securityir::operation::get_case::GetCaseError;
use aws_sdk_securityir::types::ResolverType;
use sirops::emulator::EmulatorConfig;

use crate::support::{
    Refused, SIGNED, act_as_aws, case_status, client_as, console_edit, create, create_with_token,
    created, get_case, list_case_edits, list_comments, list_tags_for_resource, new_case,
    raw_exchange, start, start_and_connect, start_and_connect_with, start_with,
};

#[tokio::test]
async fn each_access_key_is_its_own_principal_in_the_edit_history() {
    let emulator = start().await;
    let sirops = client_as(&emulator.endpoint_url(), "AKIDSIROPS", "us-east-1");
    let console = client_as(&emulator.endpoint_url(), "AKIDCONSOLE", "us-east-1");
    let case_id = create(&sirops, "Who did what").await;
    console_edit(&console, &case_id, "Edited in the console")
        .await
        .unwrap();
    let edits = list_case_edits(&sirops, &case_id).await.unwrap();
    let history: Vec<(&str, &str, &str)> = edits
        .items()
        .iter()
        .map(|edit| {
            (
                edit.principal().unwrap(),
                edit.action().unwrap(),
                edit.message().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        history,
        [
            (
                "arn:aws:iam::123456789012:user/AKIDSIROPS",
                "CaseCreated",
                "Case created with resolver type Self"
            ),
            (
                "arn:aws:iam::123456789012:user/AKIDCONSOLE",
                "TitleUpdated",
                "Case title updated"
            ),
            (
                "arn:aws:iam::123456789012:user/AKIDCONSOLE",
                "ImpactedServicesUpdated",
                "Impacted services updated"
            ),
        ]
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn aws_responders_work_aws_supported_cases_as_a_principal_of_their_own() {
    let (emulator, client) = start_and_connect().await;
    let case_id =
        created(new_case(&client, "Handed to AWS").resolver_type(ResolverType::Aws)).await;
    let (status, case) = act_as_aws(
        &emulator,
        &format!(
            r#"{{"caseId": "{case_id}", "caseStatus": "Acknowledged", "pendingAction": "Customer",
                "comment": "We are looking at the CloudTrail logs.",
                "watchersToAdd": [{{"email": "responder@amazon.example"}}]}}"#
        ),
    )
    .await;
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["caseStatus"], "Acknowledged");

    let live = get_case(&client, &case_id).await.unwrap();
    assert_eq!(live.case_status().unwrap().as_str(), "Acknowledged");
    assert_eq!(live.pending_action().unwrap().as_str(), "Customer");
    assert!(
        live.watchers()
            .iter()
            .any(|watcher| watcher.email() == "responder@amazon.example")
    );
    let listed = client.list_cases().send().await.unwrap();
    assert_eq!(
        listed.items()[0].case_status().unwrap().as_str(),
        "Acknowledged"
    );
    // ListCases says whose turn it is and when the case changed, as GetCase does.
    assert_eq!(
        listed.items()[0].pending_action().unwrap().as_str(),
        "Customer"
    );
    assert_eq!(
        listed.items()[0].last_updated_date(),
        live.last_updated_date()
    );
    let comments = list_comments(&client, &case_id).await.unwrap();
    assert_eq!(comments.items()[0].creator(), Some("AWS Responder"));
    let edits = list_case_edits(&client, &case_id).await.unwrap();
    let by_aws: Vec<&str> = edits
        .items()
        .iter()
        .filter(|edit| edit.principal() == Some("AWS Responder"))
        .map(|edit| edit.action().unwrap())
        .collect();
    assert_eq!(
        by_aws,
        [
            "PendingActionUpdated",
            "WatchersUpdated",
            "CommentAdded",
            "StatusUpdated"
        ]
    );

    let (status, _) = act_as_aws(
        &emulator,
        &format!(
            r#"{{"caseId": "{case_id}", "caseStatus": "Closed", "closureCode": "Investigation Completed"}}"#
        ),
    )
    .await;
    assert_eq!(status, 200);
    let live = get_case(&client, &case_id).await.unwrap();
    assert_eq!(live.case_status().unwrap().as_str(), "Closed");
    assert_eq!(
        live.closure_code()
            .map(aws_sdk_securityir::types::ClosureCode::as_str),
        Some("Investigation Completed")
    );
    assert!(live.closed_date().is_some());

    // Responders act only on AWS-supported cases.
    let own = create(&client, "Self-managed").await;
    let (status, body) = act_as_aws(
        &emulator,
        &format!(r#"{{"caseId": "{own}", "caseStatus": "Acknowledged"}}"#),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn aws_acknowledges_new_aws_supported_cases_by_itself_after_the_delay() {
    let (emulator, client) = start_and_connect_with(EmulatorConfig {
        aws_responder_delay: Some(Duration::from_millis(200)),
        ..EmulatorConfig::default()
    })
    .await;
    let aws_case = created(new_case(&client, "For AWS").resolver_type(ResolverType::Aws)).await;
    let own_case = create(&client, "Ours").await;
    let status = |case_id: String| {
        let client = client.clone();
        async move { case_status(&client, &case_id).await }
    };
    assert_eq!(status(aws_case.clone()).await, "Submitted");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while status(aws_case.clone()).await != "Acknowledged" {
        assert!(tokio::time::Instant::now() < deadline, "never acknowledged");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        status(own_case).await,
        "Submitted",
        "self-managed cases are left alone"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn regions_and_accounts_are_apart() {
    let emulator = start_with(EmulatorConfig {
        account: "210987654321".into(),
        ..EmulatorConfig::default()
    })
    .await;
    let virginia = client_as(&emulator.endpoint_url(), "AKIDTEAM", "us-east-1");
    let ireland = client_as(&emulator.endpoint_url(), "AKIDTEAM", "eu-west-1");
    let case_id = create(&virginia, "In Virginia").await;
    let case = get_case(&virginia, &case_id).await.unwrap();
    assert_eq!(
        case.case_arn(),
        Some(format!("arn:aws:security-ir:us-east-1:210987654321:case/{case_id}").as_str())
    );
    let error = get_case(&ireland, &case_id).await.service_error();
    assert!(
        matches!(error, GetCaseError::ResourceNotFoundException(_)),
        "{error:?}"
    );
    assert!(
        ireland
            .list_cases()
            .send()
            .await
            .unwrap()
            .items()
            .is_empty()
    );
    let tags = list_tags_for_resource(&ireland, case.case_arn().unwrap()).await;
    assert!(tags.is_err(), "another region's ARN names nothing here");
    // The same client token in another region is another request.
    let token = "same-token-both-regions";
    let here = create_with_token(&virginia, "Token", token).await.unwrap();
    let there = create_with_token(&ireland, "Token", token).await.unwrap();
    assert_ne!(here.case_id(), there.case_id());
    emulator.shutdown().await;
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_unsigned_calls_are_refused() {
    let emulator = start().await;
    let ok = raw_exchange(emulator.address(), "POST", "/v1/list-cases", SIGNED, b"{}").await;
    let refused = raw_exchange(emulator.address(), "POST", "/v1/list-cases", "", b"{}").await;
    let unknown = raw_exchange(emulator.address(), "GET", "/v1/nowhere", SIGNED, b"").await;
    assert_eq!((ok.status, refused.status, unknown.status), (200, 403, 400));
    let refused_body: serde_json::Value = serde_json::from_str(&refused.body).unwrap();
    assert_eq!(
        refused.header("x-amzn-ErrorType"),
        Some("AccessDeniedException")
    );
    assert!(refused_body["message"].is_string());
    let ids: Vec<&str> = [&ok, &refused, &unknown]
        .iter()
        .map(|response| response.header("x-amzn-RequestId").expect("a request id"))
        .collect();
    assert!(ids.iter().all(|id| id.len() == 36), "{ids:?}");
    assert_ne!(ids[0], ids[1]);
    emulator.shutdown().await;
}
