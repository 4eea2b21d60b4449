//! The emulator's own file server for attachments, on a port of its own as presigned URLs
//! point at a storage host apart from the API: `PUT` to an upload URL stores the file (which
//! must be exactly the length asked for) and verifies the attachment, `GET` from a download URL
//! returns it. A URL is valid for 15 minutes and only in this process.
//!
//! Contents live in a directory beside `--state FILE` (`FILE.attachments/`), written like the
//! state (privately, atomically, durably) before the upload is acknowledged; without
//! `--state`, in memory.

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::time::Instant;

use crate::emulator::operations::attachments::{CONTENT_LENGTH_MAX, Transfer, complete_upload};
use crate::emulator::shared::Shared;

/// How long a presigned URL works.
const URL_LIFETIME: Duration = Duration::from_mins(15);

#[derive(Debug, Default)]
pub(crate) struct Files {
    /// `http://HOST:PORT`, once the file server listens.
    base_url: OnceLock<String>,
    transfers: Mutex<HashMap<String, (Transfer, Instant)>>,
    contents: Contents,
}

#[derive(Debug, Default)]
struct Contents {
    directory: Option<PathBuf>,
    memory: Mutex<HashMap<String, Bytes>>,
}

impl Files {
    pub(crate) fn new(state_file: Option<&std::path::Path>) -> Files {
        let directory = state_file.map(|file| {
            let mut name = file.as_os_str().to_os_string();
            name.push(".attachments");
            PathBuf::from(name)
        });
        Files {
            contents: Contents {
                directory,
                memory: Mutex::default(),
            },
            ..Files::default()
        }
    }

    pub(crate) fn listening_at(&self, base_url: String) {
        let _ = self.base_url.set(base_url);
    }

    /// A URL that allows `transfer` for a while.
    pub(crate) fn presign(&self, transfer: Transfer) -> String {
        let token = hex::encode(rand::random::<[u8; 16]>());
        let base = self
            .base_url
            .get()
            .cloned()
            .unwrap_or_else(|| "http://127.0.0.1:0".to_string());
        self.transfers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(token.clone(), (transfer, Instant::now() + URL_LIFETIME));
        format!(
            "{base}/attachments/{token}?X-Amz-Expires={}",
            URL_LIFETIME.as_secs()
        )
    }

    fn transfer(&self, token: &str) -> Option<Transfer> {
        let transfers = self
            .transfers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (transfer, expires) = transfers.get(token)?;
        (Instant::now() < *expires).then(|| transfer.clone())
    }

    fn store(&self, attachment_id: &str, bytes: Bytes) -> io::Result<()> {
        if let Some(directory) = &self.contents.directory {
            if !directory.exists() {
                std::fs::create_dir_all(directory)?;
            }
            crate::paths::write_private(&directory.join(attachment_id), &bytes)
        } else {
            self.contents
                .memory
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(attachment_id.to_string(), bytes);
            Ok(())
        }
    }

    fn load(&self, attachment_id: &str) -> io::Result<Option<Bytes>> {
        match &self.contents.directory {
            Some(directory) => match std::fs::read(directory.join(attachment_id)) {
                Ok(bytes) => Ok(Some(Bytes::from(bytes))),
                Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(error) => Err(error),
            },
            None => Ok(self
                .contents
                .memory
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(attachment_id)
                .cloned()),
        }
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let largest = usize::try_from(CONTENT_LENGTH_MAX).unwrap_or(usize::MAX);
    Router::new()
        .route("/attachments/{token}", get(download).put(upload))
        .layer(axum::extract::DefaultBodyLimit::max(largest))
        .with_state(shared)
}

fn plain(status: StatusCode, message: &str) -> Response {
    (status, message.to_string()).into_response()
}

async fn upload(
    State(shared): State<Arc<Shared>>,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let Some(Transfer::Upload {
        partition,
        case_id,
        attachment_id,
        content_length,
    }) = shared.files.transfer(&token)
    else {
        return plain(
            StatusCode::FORBIDDEN,
            "the upload URL is not valid or has expired",
        );
    };
    if body.len() as u64 != content_length {
        return plain(
            StatusCode::BAD_REQUEST,
            &format!(
                "the upload is {} bytes; the URL was issued for {content_length}",
                body.len()
            ),
        );
    }
    if let Err(error) = shared.files.store(&attachment_id, body) {
        tracing::error!(%error, "could not store an attachment");
        return plain(StatusCode::INTERNAL_SERVER_ERROR, "the file was not stored");
    }
    let now = super::routes::now_epoch_seconds();
    let completed = shared
        .change(|state| {
            complete_upload(state, &partition, &case_id, &attachment_id, now)?;
            Ok(crate::emulator::operations::Reply::empty(StatusCode::OK).changed(true))
        })
        .await;
    match completed {
        Ok(_) => StatusCode::OK.into_response(),
        Err(error) => plain(StatusCode::CONFLICT, &error.to_string()),
    }
}

async fn download(State(shared): State<Arc<Shared>>, Path(token): Path<String>) -> Response {
    let Some(Transfer::Download { attachment_id }) = shared.files.transfer(&token) else {
        return plain(
            StatusCode::FORBIDDEN,
            "the download URL is not valid or has expired",
        );
    };
    match shared.files.load(&attachment_id) {
        Ok(Some(bytes)) => {
            ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()
        }
        Ok(None) => plain(StatusCode::NOT_FOUND, "the attachment's file is gone"),
        Err(error) => {
            tracing::error!(%error, "could not read an attachment");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the file could not be read",
            )
        }
    }
}
