//! Every operation's success path through the SDK: the wire shapes parse into the SDK's types.

use aws_sdk_securityir::primitives::DateTime;
use aws_sdk_securityir::types::{
    AwsRegion, CaseMetadataEntry, CaseStatus, EngagementType, ImpactedAwsRegion, PendingAction,
    ResolverType, SelfManagedCaseStatus, ThreatActorIp,
};

use crate::support::{
    case_arn, close_case, create, create_case_comment, create_with_token, get_case,
    list_case_edits, list_comments, list_tags_for_resource, new_case, start_and_connect,
    tag_resource, untag_resource, update_case_status, update_resolver_type, watcher,
};

#[tokio::test]
async fn a_case_is_created_read_updated_and_closed_through_the_sdk() {
    let (emulator, client) = start_and_connect().await;

    let case_id = new_case(&client, "Phishing against payroll")
        .threat_actor_ip_addresses(
            ThreatActorIp::builder()
                .ip_address("198.51.100.7")
                .user_agent("curl/8.4.0")
                .build()
                .unwrap(),
        )
        .impacted_services("Amazon S3")
        .impacted_aws_regions(
            ImpactedAwsRegion::builder()
                .region(AwsRegion::EuWest1)
                .build()
                .unwrap(),
        )
        .tags("sirops:name", "payroll-phishing")
        .send()
        .await
        .unwrap()
        .case_id()
        .to_string();
    assert_eq!(case_id.len(), 10);
    assert!(case_id.chars().all(|c| c.is_ascii_digit()));

    let case = get_case(&client, &case_id).await.unwrap();
    assert_eq!(case.title(), Some("Phishing against payroll"));
    assert_eq!(case.case_status(), Some(&CaseStatus::Submitted));
    assert_eq!(case.resolver_type(), Some(&ResolverType::SelfValue));
    assert_eq!(
        case.engagement_type(),
        Some(&EngagementType::SecurityIncident)
    );
    assert_eq!(case.pending_action(), Some(&PendingAction::None));
    assert_eq!(
        case.reported_incident_start_date(),
        Some(&DateTime::from_secs(1_795_000_000))
    );
    assert_eq!(
        case.case_arn(),
        Some(format!("arn:aws:security-ir:us-east-1:123456789012:case/{case_id}").as_str())
    );
    assert_eq!(case.impacted_accounts(), ["123456789012"]);
    assert_eq!(case.watchers()[0].email(), "alice@example.com");
    assert_eq!(
        case.threat_actor_ip_addresses()[0].user_agent(),
        Some("curl/8.4.0")
    );
    assert_eq!(case.impacted_aws_regions()[0].region(), &AwsRegion::EuWest1);
    assert!(case.created_date().is_some() && case.closed_date().is_none());

    client
        .update_case()
        .case_id(&case_id)
        .title("Phishing against payroll and HR")
        .description("Now HR too.")
        .engagement_type(EngagementType::Investigation)
        .reported_incident_start_date(DateTime::from_secs(1_794_000_000))
        .actual_incident_start_date(DateTime::from_secs(1_793_000_000))
        .watchers_to_add(watcher("bob@example.com"))
        .watchers_to_delete(watcher("ALICE@example.com"))
        .threat_actor_ip_addresses_to_add(
            ThreatActorIp::builder()
                .ip_address("203.0.113.9")
                .build()
                .unwrap(),
        )
        .threat_actor_ip_addresses_to_delete(
            ThreatActorIp::builder()
                .ip_address("198.51.100.7")
                .user_agent("curl/8.4.0")
                .build()
                .unwrap(),
        )
        .impacted_services_to_add("AWS IAM")
        .impacted_services_to_delete("Amazon S3")
        .impacted_aws_regions_to_add(
            ImpactedAwsRegion::builder()
                .region(AwsRegion::UsEast1)
                .build()
                .unwrap(),
        )
        .impacted_aws_regions_to_delete(
            ImpactedAwsRegion::builder()
                .region(AwsRegion::EuWest1)
                .build()
                .unwrap(),
        )
        .impacted_accounts_to_add("210987654321")
        .impacted_accounts_to_delete("123456789012")
        .case_metadata(
            CaseMetadataEntry::builder()
                .key("severity")
                .value("high")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let case = get_case(&client, &case_id).await.unwrap();
    assert_eq!(case.title(), Some("Phishing against payroll and HR"));
    assert_eq!(case.description(), Some("Now HR too."));
    assert_eq!(case.engagement_type(), Some(&EngagementType::Investigation));
    assert_eq!(
        case.actual_incident_start_date(),
        Some(&DateTime::from_secs(1_793_000_000))
    );
    let emails: Vec<_> = case
        .watchers()
        .iter()
        .map(aws_sdk_securityir::types::Watcher::email)
        .collect();
    assert_eq!(emails, ["bob@example.com"]);
    let ips: Vec<_> = case
        .threat_actor_ip_addresses()
        .iter()
        .map(aws_sdk_securityir::types::ThreatActorIp::ip_address)
        .collect();
    assert_eq!(ips, ["203.0.113.9"]);
    assert_eq!(case.impacted_services(), ["AWS IAM"]);
    assert_eq!(case.impacted_aws_regions()[0].region(), &AwsRegion::UsEast1);
    assert_eq!(case.impacted_aws_regions().len(), 1);
    assert_eq!(case.impacted_accounts(), ["210987654321"]);
    assert_eq!(case.case_metadata()[0].value(), "high");

    for status in [
        SelfManagedCaseStatus::DetectionAndAnalysis,
        SelfManagedCaseStatus::ContainmentEradicationAndRecovery,
        SelfManagedCaseStatus::PostIncidentActivities,
        SelfManagedCaseStatus::DetectionAndAnalysis,
        SelfManagedCaseStatus::PostIncidentActivities,
        SelfManagedCaseStatus::ContainmentEradicationAndRecovery,
        SelfManagedCaseStatus::DetectionAndAnalysis,
    ] {
        let moved = update_case_status(&client, &case_id, status.clone())
            .await
            .unwrap();
        assert_eq!(moved.case_status(), Some(&status));
    }

    let updated = update_resolver_type(&client, &case_id, ResolverType::Aws)
        .await
        .unwrap();
    assert_eq!(updated.resolver_type(), Some(&ResolverType::Aws));
    assert_eq!(updated.case_id(), case_id);

    let comment = create_case_comment(&client, &case_id, "Reset the clerks' passwords.")
        .await
        .unwrap();
    assert_eq!(comment.comment_id(), "000001");
    let comments = list_comments(&client, &case_id).await.unwrap();
    assert_eq!(
        comments.items()[0].body(),
        Some("Reset the clerks' passwords.")
    );
    assert_eq!(comments.total(), Some(1));

    let closed = close_case(&client, &case_id).await.unwrap();
    assert_eq!(closed.case_status(), Some(&CaseStatus::Closed));
    assert!(closed.closed_date().is_some());
    let case = get_case(&client, &case_id).await.unwrap();
    assert_eq!(case.case_status(), Some(&CaseStatus::Closed));
    assert!(case.closed_date().is_some());

    // Every change is in the edit history: create, 7 field edits, 7 moves, resolver, comment, close.
    let edits = client
        .list_case_edits()
        .case_id(&case_id)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let actions: Vec<_> = edits.iter().filter_map(|edit| edit.action()).collect();
    assert_eq!(actions.first(), Some(&"CaseCreated"));
    assert_eq!(actions.last(), Some(&"CaseClosed"));
    assert_eq!(actions.iter().filter(|a| **a == "StatusUpdated").count(), 7);
    assert_eq!(edits.len(), 1 + 11 + 7 + 1 + 1 + 1);
    assert!(
        edits
            .iter()
            .all(|edit| edit.message().is_some_and(|m| m.len() >= 10))
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn tags_are_added_listed_and_removed_by_case_arn() {
    let (emulator, client) = start_and_connect().await;
    let case_id = create(&client, "Tagged").await;
    let arn = case_arn(&client, &case_id).await;

    let tags = [("team", "secops"), ("sirops:name", "tagged")];
    tag_resource(&client, &arn, &tags).await.unwrap();
    let tags = list_tags_for_resource(&client, &arn).await.unwrap();
    assert_eq!(tags.tags().get("team").map(String::as_str), Some("secops"));
    assert_eq!(tags.tags().len(), 2);

    untag_resource(&client, &arn, &["team", "absent"])
        .await
        .unwrap();
    let tags = list_tags_for_resource(&client, &arn).await.unwrap();
    assert_eq!(tags.tags().keys().collect::<Vec<_>>(), ["sirops:name"]);
    // Re-tagging with the same value and removing an absent key are redundant, not errors.
    tag_resource(&client, &arn, &[("sirops:name", "tagged")])
        .await
        .unwrap();
    assert_eq!(emulator.stats().redundant, 2);
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_sdk_paginator_lists_every_case_once_newest_first() {
    let (emulator, client) = start_and_connect().await;
    let mut created = Vec::new();
    for index in 0..53 {
        created.push(create(&client, &format!("Case {index}")).await);
    }
    let pages = client
        .list_cases()
        .max_results(10)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(pages.len(), 6);
    assert!(pages.iter().all(|page| page.total() == Some(53)));
    let listed: Vec<String> = pages
        .iter()
        .flat_map(aws_sdk_securityir::operation::list_cases::ListCasesOutput::items)
        .map(|item| item.case_id().to_string())
        .collect();
    created.reverse();
    assert_eq!(listed, created);
    let first = &pages[0].items()[0];
    assert_eq!(first.title(), Some("Case 52"));
    assert_eq!(first.case_status(), Some(&CaseStatus::Submitted));
    assert!(first.case_arn().is_some() && first.created_date().is_some());

    // Without maxResults a page holds 25.
    let page = client.list_cases().send().await.unwrap();
    assert_eq!(page.items().len(), 25);
    assert!(page.next_token().is_some());
    emulator.shutdown().await;
}

#[tokio::test]
async fn create_case_with_the_same_client_token_returns_the_same_case() {
    let (emulator, client) = start_and_connect().await;
    // errors.rs reuses a token for another request; this repeats the request itself.
    let first = create_with_token(&client, "Once", "payroll-phishing-token")
        .await
        .unwrap();
    let second = create_with_token(&client, "Once", "payroll-phishing-token")
        .await
        .unwrap();
    assert_eq!(first.case_id(), second.case_id());
    assert_eq!(emulator.stats().cases, 1);
    emulator.shutdown().await;
}

#[tokio::test]
async fn adding_present_and_deleting_absent_items_is_redundant_not_an_error() {
    let (emulator, client) = start_and_connect().await;
    let case_id = create(&client, "Redundant").await;
    client
        .update_case()
        .case_id(&case_id)
        .watchers_to_add(watcher("alice@example.com"))
        .impacted_accounts_to_add("123456789012")
        .impacted_services_to_delete("Amazon EC2")
        .send()
        .await
        .unwrap();
    let case = get_case(&client, &case_id).await.unwrap();
    assert_eq!(case.watchers().len(), 1);
    assert_eq!(case.impacted_accounts().len(), 1);
    assert_eq!(emulator.stats().redundant, 3);
    let edits = list_case_edits(&client, &case_id).await.unwrap();
    assert_eq!(edits.items().len(), 1, "a no-op update records no edit");
    emulator.shutdown().await;
}
