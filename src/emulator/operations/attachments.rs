//! Attachments: GetCaseAttachmentUploadUrl hands out a URL to PUT the file to (the attachment
//! is `Pending` until it arrives, then `Verified`), GetCaseAttachmentDownloadUrl a URL to GET it
//! from. The URLs point at the emulator's own file server (`files`), which calls back into
//! `complete_upload` when an upload arrives.

use axum::http::StatusCode;
use serde_json::json;

use super::cases::quota_exceeded;
use super::{CallContext, Reply, case, open_case_mut, replayed};
use crate::emulator::service_error::ServiceError;
use crate::emulator::store::{
    Attachment, AttachmentUpload, IdempotencyRecord, Partition, State, StoredCase,
};
use crate::emulator::validation::RequestChecker;
use crate::emulator::wire::AttachmentUploadInput;

/// Most attachments one case may hold.
const ATTACHMENTS_MAX: usize = 50;

/// Largest attachment the model allows, in bytes.
pub(crate) const CONTENT_LENGTH_MAX: i64 = 104_857_600;

/// What a presigned URL lets its holder do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Transfer {
    Upload {
        partition: Partition,
        case_id: String,
        attachment_id: String,
        content_length: u64,
    },
    Download {
        attachment_id: String,
    },
}

/// A version 4 UUID (random), the form of the model's `AttachmentId`.
fn new_attachment_id() -> String {
    let bytes: [u8; 16] = rand::random();
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-4{}-{:x}{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        (bytes[8] & 0x3) | 0x8,
        &hex[17..20],
        &hex[20..32]
    )
}

pub(crate) fn get_upload_url(
    state: &mut State,
    context: &CallContext,
    case_id: &str,
    input: AttachmentUploadInput,
    digest: String,
    presign: impl FnOnce(Transfer) -> String,
) -> Result<Reply, ServiceError> {
    validate_upload(case_id, &input)?;
    let case = open_case_mut(state, context, case_id)?;
    let content_length = u64::try_from(input.content_length.unwrap_or_default()).unwrap_or(0);
    let replay = match &input.client_token {
        Some(token) => replayed(
            case.attachment_tokens.get(token),
            token,
            &digest,
            "GetCaseAttachmentUploadUrl",
            case_id,
        )?,
        None => None,
    };
    let (attachment_id, changed) = match replay {
        Some(attachment_id) => (attachment_id, false),
        None => (
            add_pending_attachment(case, context, (input, content_length), digest)?,
            true,
        ),
    };
    // A retry gets a URL for the size of the first request.
    let content_length = case
        .uploads
        .iter()
        .find(|upload| upload.attachment_id == attachment_id)
        .map_or(content_length, |upload| upload.content_length);
    let url = presign(Transfer::Upload {
        partition: context.partition.clone(),
        case_id: case_id.to_string(),
        attachment_id,
        content_length,
    });
    Ok(Reply::json(StatusCode::CREATED, &json!({"attachmentPresignedUrl": url})).changed(changed))
}

fn validate_upload(case_id: &str, input: &AttachmentUploadInput) -> Result<(), ServiceError> {
    let mut checker = RequestChecker::new();
    checker.case_id(case_id);
    checker.optional_text("clientToken", &input.client_token, 1, 255);
    if let Some(file_name) = checker.required("fileName", &input.file_name) {
        checker.file_name("fileName", file_name);
    }
    if let Some(&length) = checker.required("contentLength", &input.content_length)
        && !(1..=CONTENT_LENGTH_MAX).contains(&length)
    {
        checker.problem(
            "contentLength",
            format!("{length} is outside 1..{CONTENT_LENGTH_MAX} bytes"),
        );
    }
    checker.finish()
}

/// A new attachment, `Pending` until its upload arrives; returns its id.
fn add_pending_attachment(
    case: &mut StoredCase,
    context: &CallContext,
    (input, content_length): (AttachmentUploadInput, u64),
    digest: String,
) -> Result<String, ServiceError> {
    if case.details.case_attachments.len() >= ATTACHMENTS_MAX {
        return Err(quota_exceeded(
            &case.case_id,
            "attachments",
            case.details.case_attachments.len() + 1,
            ATTACHMENTS_MAX,
        ));
    }
    let attachment_id = new_attachment_id();
    case.details.case_attachments.push(Attachment {
        attachment_id: attachment_id.clone(),
        file_name: input.file_name.unwrap_or_default(),
        attachment_status: "Pending".into(),
        creator: context.principal.clone(),
        created_date: context.now,
    });
    case.uploads.push(AttachmentUpload {
        attachment_id: attachment_id.clone(),
        content_length,
    });
    if let Some(token) = input.client_token {
        case.attachment_tokens.insert(
            token,
            IdempotencyRecord {
                request_digest: digest,
                created_id: attachment_id.clone(),
            },
        );
    }
    Ok(attachment_id)
}

/// An upload arrived whole: the attachment is verified and the case's history says so.
pub(crate) fn complete_upload(
    state: &mut State,
    partition: &Partition,
    case_id: &str,
    attachment_id: &str,
    now: f64,
) -> Result<(), ServiceError> {
    let case = state
        .case_mut(partition, case_id)
        .ok_or_else(|| ServiceError::case_not_found(case_id))?;
    if case.is_closed() {
        return Err(ServiceError::case_closed(case_id));
    }
    let Some(attachment) = case
        .details
        .case_attachments
        .iter_mut()
        .find(|attachment| attachment.attachment_id == attachment_id)
    else {
        return Err(ServiceError::ResourceNotFound {
            message: format!("Attachment {attachment_id} does not exist"),
        });
    };
    attachment.attachment_status = "Verified".into();
    let (creator, file_name) = (attachment.creator.clone(), attachment.file_name.clone());
    case.record_edit(
        now,
        &creator,
        "AttachmentAdded",
        format!("Attachment {file_name} added"),
    );
    Ok(())
}

pub(crate) fn get_download_url(
    state: &State,
    context: &CallContext,
    case_id: &str,
    attachment_id: &str,
    presign: impl FnOnce(Transfer) -> String,
) -> Result<Reply, ServiceError> {
    let mut checker = RequestChecker::new();
    checker.case_id(case_id);
    checker.attachment_id(attachment_id);
    checker.finish()?;
    let case = case(state, context, case_id)?;
    let not_found = || ServiceError::ResourceNotFound {
        message: format!("Attachment {attachment_id} of case {case_id} does not exist"),
    };
    let attachment = case
        .details
        .case_attachments
        .iter()
        .find(|attachment| attachment.attachment_id == attachment_id)
        .ok_or_else(not_found)?;
    // Nothing to download until the upload arrived.
    if attachment.attachment_status != "Verified" {
        return Err(not_found());
    }
    let url = presign(Transfer::Download {
        attachment_id: attachment_id.to_string(),
    });
    Ok(Reply::json(
        StatusCode::CREATED,
        &json!({"attachmentPresignedUrl": url}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_ids_are_version_4_uuids_the_model_accepts() {
        let pattern = regex::Regex::new(
            r"^[0-9a-fA-F]{8}\b-[0-9a-fA-F]{4}\b-[0-9a-fA-F]{4}\b-[0-9a-fA-F]{4}\b-[0-9a-fA-F]{12}$",
        )
        .unwrap();
        for _ in 0..100 {
            let id = new_attachment_id();
            assert!(pattern.is_match(&id), "{id}");
            assert_eq!(&id[14..15], "4");
            assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
        }
        assert_ne!(new_attachment_id(), new_attachment_id());
    }
}
