//! 256 SDK tasks at once against one emulator: the final state is exactly the sum of their
//! effects, with nothing lost or doubled by the lock.

use std::collections::BTreeSet;

use aws_sdk_securityir::types::SelfManagedCaseStatus;

use crate::support::{
    case_arn, create, create_case_comment, get_case, start_and_connect, tag_resource,
    update_case_status,
};

const TASKS: usize = 256;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_clients_sum_up_exactly() {
    let (emulator, client) = start_and_connect().await;
    let shared_case = create(&client, "Shared").await;

    let mut tasks = Vec::new();
    for index in 0..TASKS {
        let (client, shared_case) = (client.clone(), shared_case.clone());
        tasks.push(tokio::spawn(async move {
            let own = create(&client, &format!("Task {index}")).await;
            client
                .update_case()
                .case_id(&shared_case)
                .impacted_services_to_add(format!("Service {index}"))
                .send()
                .await
                .unwrap();
            create_case_comment(&client, &shared_case, &format!("From task {index}"))
                .await
                .unwrap();
            let arn = case_arn(&client, &own).await;
            tag_resource(&client, &arn, &[("task", &index.to_string())])
                .await
                .unwrap();
            update_case_status(&client, &own, SelfManagedCaseStatus::DetectionAndAnalysis)
                .await
                .unwrap();
            (own, index)
        }));
    }
    let mut owned = Vec::new();
    for task in tasks {
        owned.push(task.await.unwrap());
    }

    let shared = get_case(&client, &shared_case).await.unwrap();
    let services: BTreeSet<_> = shared.impacted_services().iter().cloned().collect();
    let expected: BTreeSet<_> = (0..TASKS).map(|index| format!("Service {index}")).collect();
    assert_eq!(services, expected);
    // Every page of comments, as operations.rs gathers edits: another paginator of the same shape.
    let comments = client
        .list_comments()
        .case_id(&shared_case)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let comment_ids: BTreeSet<_> = comments
        .iter()
        .map(|comment| comment.comment_id().to_string())
        .collect();
    assert_eq!(comment_ids.len(), TASKS);

    let unique_cases: BTreeSet<_> = owned.iter().map(|(case_id, _)| case_id.clone()).collect();
    assert_eq!(unique_cases.len(), TASKS);
    for (case_id, index) in &owned {
        let case = get_case(&client, case_id).await.unwrap();
        assert_eq!(case.title(), Some(format!("Task {index}").as_str()));
        assert_eq!(
            case.case_status()
                .map(aws_sdk_securityir::types::CaseStatus::as_str),
            Some("Detection and Analysis")
        );
    }

    let stats = emulator.stats();
    assert_eq!(stats.cases as usize, TASKS + 1);
    assert_eq!(stats.operations["CreateCase"] as usize, TASKS + 1);
    assert_eq!(stats.operations["UpdateCase"] as usize, TASKS);
    assert_eq!(stats.operations["TagResource"] as usize, TASKS);
    assert_eq!(stats.operations["UpdateCaseStatus"] as usize, TASKS);
    assert!(stats.errors.is_empty(), "{:?}", stats.errors);
    emulator.shutdown().await;
}
