//! The operations beyond the case record: comment updates, attachments through the emulator's
//! own file server, memberships, an account without one, and the operations not emulated.

use aws_sdk_securityir::operation::create_case::CreateCaseError;
use aws_sdk_securityir::operation::get_case_attachment_download_url::GetCaseAttachmentDownloadUrlError;
use aws_sdk_securityir::operation::list_investigations::ListInvestigationsError;
use aws_sdk_securityir::operation::update_case_comment::UpdateCaseCommentError;
use aws_sdk_securityir::types::ValidationExceptionReason;
use sirops::emulator::EmulatorConfig;

use crate::support::{
    Refused, client_as, close_case, create, create_case_comment, get_case, list_case_edits,
    list_comments, new_case, raw_exchange, start_and_connect, start_and_connect_with,
    update_case_comment,
};

#[tokio::test]
async fn a_comment_is_updated_by_its_author_only_and_not_on_a_closed_case() {
    let (emulator, client) = start_and_connect().await;
    let colleague = client_as(&emulator.endpoint_url(), "AKIDCOLLEAGUE", "us-east-1");
    let case_id = create(&client, "Comments").await;
    let comment = create_case_comment(&client, &case_id, "first words").await;
    let comment_id = comment.unwrap().comment_id().to_string();
    let updated = update_case_comment(&client, &case_id, &comment_id, "better words")
        .await
        .unwrap();
    assert_eq!(updated.comment_id(), comment_id);
    assert_eq!(updated.body(), Some("better words"));
    let comments = list_comments(&client, &case_id).await.unwrap();
    assert_eq!(comments.items()[0].body(), Some("better words"));

    let error = update_case_comment(&colleague, &case_id, &comment_id, "not mine")
        .await
        .service_error();
    assert!(
        matches!(error, UpdateCaseCommentError::AccessDeniedException(_)),
        "{error:?}"
    );
    let error = update_case_comment(&client, &case_id, "000099", "nobody wrote this")
        .await
        .service_error();
    assert!(
        matches!(error, UpdateCaseCommentError::ResourceNotFoundException(_)),
        "{error:?}"
    );
    close_case(&client, &case_id).await.unwrap();
    // The same call as the colleague's above, refused for another reason: the case is closed.
    let error = update_case_comment(&client, &case_id, &comment_id, "after the close")
        .await
        .service_error();
    assert!(
        matches!(error, UpdateCaseCommentError::ConflictException(_)),
        "{error:?}"
    );
    emulator.shutdown().await;
}

/// `http://HOST:PORT/path?query` -> (address, path and query).
fn split_url(url: &str) -> (std::net::SocketAddr, String) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_once('/').unwrap();
    (host.parse().unwrap(), format!("/{path}"))
}

#[tokio::test]
async fn an_attachment_is_uploaded_listed_and_downloaded() {
    let (emulator, client) = start_and_connect().await;
    let case_id = create(&client, "Attachments").await;
    let content = b"2026-11-20 08:01 login from 203.0.113.9\n".to_vec();
    let upload_url = client
        .get_case_attachment_upload_url()
        .case_id(&case_id)
        .file_name("auth.log")
        .content_length(content.len() as i64)
        .send()
        .await
        .unwrap()
        .attachment_presigned_url()
        .to_string();
    let (files, path) = split_url(&upload_url);
    assert_ne!(
        files,
        emulator.address(),
        "files are served on a port of their own"
    );

    let case = get_case(&client, &case_id).await.unwrap();
    let pending = &case.case_attachments()[0];
    assert_eq!(pending.attachment_status().as_str(), "Pending");
    let attachment_id = pending.attachment_id().to_string();
    let download = client
        .get_case_attachment_download_url()
        .case_id(&case_id)
        .attachment_id(&attachment_id);
    let error = download.clone().send().await.service_error();
    assert!(
        matches!(
            error,
            GetCaseAttachmentDownloadUrlError::ResourceNotFoundException(_)
        ),
        "nothing to download before the upload: {error:?}"
    );

    let short = raw_exchange(files, "PUT", &path, "", b"too short").await;
    assert_eq!(short.status, 400, "{}", short.body);
    let stored = raw_exchange(files, "PUT", &path, "", &content).await;
    assert_eq!(stored.status, 200, "{}", stored.body);

    let case = get_case(&client, &case_id).await.unwrap();
    let verified = &case.case_attachments()[0];
    assert_eq!(verified.attachment_status().as_str(), "Verified");
    assert_eq!(verified.file_name(), "auth.log");
    assert!(verified.creator().ends_with(":user/AKIDEMULATORTEST"));
    let edits = list_case_edits(&client, &case_id).await.unwrap();
    assert!(
        edits
            .items()
            .iter()
            .any(|edit| edit.action() == Some("AttachmentAdded"))
    );

    let download_url = download
        .send()
        .await
        .unwrap()
        .attachment_presigned_url()
        .to_string();
    let (files, path) = split_url(&download_url);
    let downloaded = raw_exchange(files, "GET", &path, "", b"").await;
    assert_eq!(downloaded.status, 200);
    assert_eq!(downloaded.body.as_bytes(), content.as_slice());
    let forged = raw_exchange(files, "GET", "/attachments/0000", "", b"").await;
    assert_eq!(forged.status, 403);
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_account_has_one_active_membership_per_region() {
    let (emulator, client) = start_and_connect().await;
    let memberships = client.list_memberships().send().await.unwrap();
    let membership = &memberships.items()[0];
    assert_eq!(memberships.items().len(), 1);
    assert_eq!(
        membership
            .region()
            .map(aws_sdk_securityir::types::AwsRegion::as_str),
        Some("us-east-1")
    );
    let id = membership.membership_id().to_string();
    let fetched = client
        .get_membership()
        .membership_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.membership_id(), id);
    assert_eq!(
        fetched
            .membership_status()
            .map(aws_sdk_securityir::types::MembershipStatus::as_str),
        Some("Active")
    );
    assert!(
        client
            .get_membership()
            .membership_id("m-0000000000")
            .send()
            .await
            .is_err()
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn without_a_membership_every_case_operation_is_refused() {
    let (emulator, client) = start_and_connect_with(EmulatorConfig {
        not_active: true,
        ..EmulatorConfig::default()
    })
    .await;
    let error = new_case(&client, "Refused").send().await.service_error();
    assert!(
        matches!(
            error,
            CreateCaseError::SecurityIncidentResponseNotActiveException(_)
        ),
        "{error:?}"
    );
    let listed = client.list_cases().send().await.service_error();
    assert!(listed.is_security_incident_response_not_active_exception());
    let memberships = client.list_memberships().send().await.unwrap();
    assert!(memberships.items().is_empty());
    emulator.shutdown().await;
}

#[tokio::test]
async fn operations_not_emulated_say_so_in_the_models_terms() {
    use aws_sdk_securityir::types::{IncidentResponder, UsefulnessRating};
    let (emulator, client) = start_and_connect().await;
    let error = client
        .list_investigations()
        .case_id("1000000001")
        .send()
        .await
        .service_error();
    // Checked like the CreateCase refusals elsewhere, but for the reason an unemulated call gives.
    let ListInvestigationsError::ValidationException(validation) = error else {
        panic!("{error:?}");
    };
    assert_eq!(
        validation.reason(),
        &ValidationExceptionReason::UnknownOperation
    );
    assert!(validation.message().contains("not emulated"));

    let membership = "m-0123456789";
    let responder = || {
        IncidentResponder::builder()
            .name("Alice")
            .job_title("CISO")
            .email("alice@example.com")
            .build()
            .unwrap()
    };
    let errors = [
        client
            .get_finding_metrics()
            .membership_id(membership)
            .start_date(aws_smithy_types::DateTime::from_secs(0))
            .end_date(aws_smithy_types::DateTime::from_secs(60))
            .send()
            .await
            .service_error()
            .is_validation_exception(),
        client
            .create_membership()
            .membership_name("sirops")
            .incident_response_team(responder())
            .incident_response_team(responder())
            .send()
            .await
            .service_error()
            .is_validation_exception(),
        client
            .update_membership()
            .membership_id(membership)
            .membership_name("sirops")
            .send()
            .await
            .service_error()
            .is_validation_exception(),
        client
            .cancel_membership()
            .membership_id(membership)
            .send()
            .await
            .service_error()
            .is_validation_exception(),
        client
            .batch_get_member_account_details()
            .membership_id(membership)
            .account_ids("123456789012")
            .send()
            .await
            .service_error()
            .is_validation_exception(),
        client
            .send_feedback()
            .case_id("1000000001")
            .result_id("r-1")
            .usefulness(UsefulnessRating::Useful)
            .send()
            .await
            .service_error()
            .is_validation_exception(),
    ];
    assert_eq!(
        errors, [true; 6],
        "each answers a ValidationException the SDK parses"
    );
    let stats = emulator.stats();
    for operation in [
        "ListInvestigations",
        "GetFindingMetrics",
        "CreateMembership",
        "UpdateMembership",
        "CancelMembership",
        "BatchGetMemberAccountDetails",
        "SendFeedback",
    ] {
        assert_eq!(stats.operations.get(operation), Some(&1), "{operation}");
    }
    emulator.shutdown().await;
}
