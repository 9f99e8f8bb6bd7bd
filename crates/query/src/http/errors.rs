//! Errors: [`ApiError`] is what a client sees — `{"error": {"code": "...", "message": "..."}}`
//! with the right status, never a stack trace or a file path — and [`ServeError`] is what
//! stops the service from starting.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use techmatch_indexer::RecordError;
use utoipa::ToSchema;

use crate::error::QueryError;

/// Why the service could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A setting is invalid; the message names it.
    #[error("{0}")]
    Config(String),
    /// The index could not be built, opened or written.
    #[error(transparent)]
    Indexer(#[from] techmatch_indexer::IndexerError),
    /// The searcher could not be set up.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// Binding the address or serving failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// One error: a stable code for programs, a message for people.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code (`bad_request`, `malformed_json`, `unauthorized`,
    /// `forbidden`, `writes_disabled`, `read_only`, `not_found`, `method_not_allowed`,
    /// `payload_too_large`, `request_timeout`, `invalid_record`, `overloaded`, `timeout`,
    /// `disk_full`, `internal`).
    pub code: &'static str,
    /// What went wrong, naming the parameter or field at fault.
    pub message: String,
    /// The field at fault (invalid records).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every problem found (invalid records: one entry per bad field).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// One bad field of one record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    /// Line of the record in the request body (1 for a single record).
    pub line: usize,
    /// The record id, when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The field at fault, when one field is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What is wrong.
    pub reason: String,
}

impl From<&RecordError> for FieldError {
    fn from(error: &RecordError) -> Self {
        FieldError {
            line: error.line,
            id: error.id.clone(),
            field: error.field.clone(),
            reason: error.reason.clone(),
        }
    }
}

impl FieldError {
    /// `line 3: field trl: must be …` (the line only when the body had several records).
    pub fn describe(&self, with_line: bool) -> String {
        let mut text = String::new();
        if with_line {
            text.push_str(&format!("line {}: ", self.line));
        }
        if let Some(field) = &self.field {
            text.push_str(&format!("field {field}: "));
        }
        text.push_str(&self.reason);
        text
    }
}

/// An error response.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    detail: ErrorDetail,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            detail: ErrorDetail {
                code,
                message: message.into(),
                field: None,
                errors: Vec::new(),
            },
        }
    }

    /// 400: a parameter is invalid.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 400: the body is not the JSON it should be.
    pub fn malformed_json(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", message)
    }

    /// 401: no credentials.
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403: wrong credentials.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 403: the service runs without an API key, so the write API is off.
    pub fn writes_disabled() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "writes_disabled",
            "writes are disabled on this server: start it with an API key \
             (--api-key, TECHMATCH_API_KEY or api_key in the config file) to enable them",
        )
    }

    /// 403: this server is a read-only replica of an index another process writes.
    pub fn read_only() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "read_only",
            "this server is a read-only replica (--read-only): it serves an index that \
             another process writes; send writes to that server or to 'techmatch index'",
        )
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 405.
    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this method is not allowed on this path (see /openapi.json)",
        )
    }

    /// 408: the request body stalled.
    pub fn request_timeout(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::REQUEST_TIMEOUT, "request_timeout", message)
    }

    /// 507: the index's disk is full; the write was rolled back.
    pub fn disk_full() -> ApiError {
        ApiError::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "disk_full",
            "the index's disk is full: nothing from this request was written, and every \
             record committed before is intact; an operator must free space",
        )
    }

    /// 413: the body is over the limit.
    pub fn payload_too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than the limit of {limit} bytes"),
        )
    }

    /// 422: records that parse but break the data contract; all of them are listed.
    pub fn invalid_records(errors: &[RecordError], several_lines: bool) -> ApiError {
        let errors: Vec<FieldError> = errors.iter().map(FieldError::from).collect();
        let first = errors.first().map(|e| e.describe(several_lines));
        let mut message = first.unwrap_or_else(|| "invalid record".into());
        if errors.len() > 1 {
            message.push_str(&format!(" (and {} more problems)", errors.len() - 1));
        }
        let mut error = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_record", message);
        error.detail.field = errors.first().and_then(|e| e.field.clone());
        error.detail.errors = errors;
        error
    }

    /// 503: too many requests at once.
    pub fn overloaded() -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "the server is busy; retry in a moment",
        )
    }

    /// 503: the response did not start in time.
    pub fn timeout(limit: std::time::Duration) -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!("the request took longer than {} s", limit.as_secs()),
        )
    }

    /// 503: the service is shutting down or a resource is gone.
    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// 500: logs the detail, tells the client only that it happened.
    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %error, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the details are in the server log",
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The error code.
    pub fn code(&self) -> &'static str {
        self.detail.code
    }
}

impl From<QueryError> for ApiError {
    fn from(error: QueryError) -> Self {
        match error {
            QueryError::Invalid(message) => ApiError::bad_request(message),
            other => ApiError::internal(other),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(error: tokio::task::JoinError) -> Self {
        ApiError::internal(format!("background task failed: {error}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status;
        let mut response = (status, axum::Json(ErrorBody { error: self.detail })).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"techmatch\""),
            );
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// Handlers' result type.
pub type ApiResult<T> = Result<T, ApiError>;

/// The JSON of an error, for the streamed bulk output (one line per failed demand).
pub(crate) fn error_json(code: &'static str, message: String, field: Option<String>) -> ErrorBody {
    ErrorBody {
        error: ErrorDetail {
            code,
            message,
            field,
            errors: Vec::new(),
        },
    }
}
