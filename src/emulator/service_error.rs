//! The service's errors as restJson1 carries them: an HTTP status, the `x-amzn-ErrorType` header
//! and a JSON body with `message` plus the error's own members, so the SDK parses each into its
//! typed variant. Messages describe the request, never the emulator's internals.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

/// `ValidationExceptionReason` of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValidationReason {
    UnknownOperation,
    CannotParse,
    FieldValidationFailed,
    Other,
}

impl ValidationReason {
    fn as_str(self) -> &'static str {
        match self {
            ValidationReason::UnknownOperation => "UNKNOWN_OPERATION",
            ValidationReason::CannotParse => "CANNOT_PARSE",
            ValidationReason::FieldValidationFailed => "FIELD_VALIDATION_FAILED",
            ValidationReason::Other => "OTHER",
        }
    }
}

/// One `ValidationExceptionField`: which member was wrong and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct FieldProblem {
    pub(crate) name: String,
    pub(crate) message: String,
}

impl FieldProblem {
    pub(crate) fn new(name: impl Into<String>, message: impl Into<String>) -> Self {
        FieldProblem {
            name: name.into(),
            message: message.into(),
        }
    }
}

/// The resource type ConflictException and ServiceQuotaExceededException name for a case.
pub(crate) const CASE_RESOURCE_TYPE: &str = "case";

/// An error the emulated service answers with; the client's view of a failed call is
/// `live::ApiError`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum ServiceError {
    #[error("{message}")]
    Validation {
        message: String,
        reason: ValidationReason,
        fields: Vec<FieldProblem>,
    },
    #[error("{message}")]
    Conflict {
        message: String,
        resource_id: String,
    },
    #[error("{message}")]
    ResourceNotFound { message: String },
    #[error("{message}")]
    ServiceQuotaExceeded {
        message: String,
        resource_id: String,
        quota_code: &'static str,
    },
    #[error("{message}")]
    Throttling {
        message: String,
        retry_after_seconds: u32,
        /// The quota the request went over; `None` for injected throttling.
        quota_code: Option<String>,
    },
    #[error("{message}")]
    InternalServer {
        message: String,
        retry_after_seconds: Option<u32>,
    },
    #[error("{message}")]
    AccessDenied { message: String },
    #[error("{message}")]
    NotActive { message: String },
}

impl ServiceError {
    pub(crate) fn invalid_fields(fields: Vec<FieldProblem>) -> Self {
        let summary = fields
            .iter()
            .map(|field| format!("{}: {}", field.name, field.message))
            .collect::<Vec<_>>()
            .join("; ");
        ServiceError::Validation {
            message: format!("{} validation error(s) detected: {summary}", fields.len()),
            reason: ValidationReason::FieldValidationFailed,
            fields,
        }
    }

    pub(crate) fn invalid_field(name: &str, message: impl Into<String>) -> Self {
        ServiceError::invalid_fields(vec![FieldProblem::new(name, message)])
    }

    /// A request that is well formed but breaks a service rule (status machine, resolver type).
    pub(crate) fn rule(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ServiceError::Validation {
            fields: vec![FieldProblem::new(field, message.clone())],
            message,
            reason: ValidationReason::Other,
        }
    }

    pub(crate) fn cannot_parse(message: impl Into<String>) -> Self {
        ServiceError::Validation {
            message: message.into(),
            reason: ValidationReason::CannotParse,
            fields: Vec::new(),
        }
    }

    /// A request for an operation the service does not have, or the emulator does not emulate:
    /// said in the model's own terms, so no client gets a bare 404.
    pub(crate) fn unknown_operation(message: impl Into<String>) -> Self {
        ServiceError::Validation {
            message: message.into(),
            reason: ValidationReason::UnknownOperation,
            fields: Vec::new(),
        }
    }

    pub(crate) fn case_not_found(case_id: &str) -> Self {
        ServiceError::ResourceNotFound {
            message: format!("Case {case_id} does not exist"),
        }
    }

    pub(crate) fn case_closed(case_id: &str) -> Self {
        ServiceError::Conflict {
            message: format!("Case {case_id} is closed and cannot be changed"),
            resource_id: case_id.to_string(),
        }
    }

    /// The name the wire uses (`x-amzn-ErrorType`), also the key in the emulator's stats.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            ServiceError::Validation { .. } => "ValidationException",
            ServiceError::Conflict { .. } => "ConflictException",
            ServiceError::ResourceNotFound { .. } => "ResourceNotFoundException",
            ServiceError::ServiceQuotaExceeded { .. } => "ServiceQuotaExceededException",
            ServiceError::Throttling { .. } => "ThrottlingException",
            ServiceError::InternalServer { .. } => "InternalServerException",
            ServiceError::AccessDenied { .. } => "AccessDeniedException",
            ServiceError::NotActive { .. } => "SecurityIncidentResponseNotActiveException",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ServiceError::Validation { .. } | ServiceError::NotActive { .. } => {
                StatusCode::BAD_REQUEST
            }
            ServiceError::Conflict { .. } => StatusCode::CONFLICT,
            ServiceError::ResourceNotFound { .. } => StatusCode::NOT_FOUND,
            ServiceError::ServiceQuotaExceeded { .. } => StatusCode::PAYMENT_REQUIRED,
            ServiceError::Throttling { .. } => StatusCode::TOO_MANY_REQUESTS,
            ServiceError::InternalServer { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            ServiceError::AccessDenied { .. } => StatusCode::FORBIDDEN,
        }
    }

    fn body(&self) -> serde_json::Value {
        match self {
            ServiceError::Validation {
                message,
                reason,
                fields,
            } => {
                let mut body = json!({"message": message, "reason": reason.as_str()});
                if !fields.is_empty() {
                    body["fieldList"] = json!(fields);
                }
                body
            }
            ServiceError::Conflict {
                message,
                resource_id,
            } => json!({
                "message": message,
                "resourceId": resource_id,
                "resourceType": CASE_RESOURCE_TYPE,
            }),
            ServiceError::ServiceQuotaExceeded {
                message,
                resource_id,
                quota_code,
            } => json!({
                "message": message,
                "resourceId": resource_id,
                "resourceType": CASE_RESOURCE_TYPE,
                "serviceCode": "security-ir",
                "quotaCode": quota_code,
            }),
            // `retryAfterSeconds` is bound to the `Retry-After` header, not the body.
            ServiceError::Throttling {
                message,
                quota_code,
                ..
            } => {
                let mut body = json!({"message": message, "serviceCode": "security-ir"});
                if let Some(code) = quota_code {
                    body["quotaCode"] = json!(code);
                }
                body
            }
            ServiceError::ResourceNotFound { message }
            | ServiceError::InternalServer { message, .. }
            | ServiceError::AccessDenied { message }
            | ServiceError::NotActive { message } => json!({"message": message}),
        }
    }

    fn retry_after_seconds(&self) -> Option<u32> {
        match self {
            ServiceError::Throttling {
                retry_after_seconds,
                ..
            } => Some(*retry_after_seconds),
            ServiceError::InternalServer {
                retry_after_seconds,
                ..
            } => *retry_after_seconds,
            _ => None,
        }
    }
}

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        let mut body = self.body();
        // Clients that look for the error type in the body find it there too.
        body["__type"] = json!(self.type_name());
        let mut response = (self.status(), axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            "x-amzn-ErrorType",
            HeaderValue::from_static(self.type_name()),
        );
        if let Some(seconds) = self.retry_after_seconds() {
            headers.insert("Retry-After", HeaderValue::from(seconds));
        }
        response
    }
}
