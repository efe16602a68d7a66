//! Errors the API answers with: a status and `{"error": "..."}` saying what to fix. Storage
//! failures are logged (without request data) and answered with a plain 500.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::workshop::db::Invalid;
use crate::workshop::model::ApiErrorBody;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError { status, message: message.into(), retry_after: None }
    }
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, message)
    }
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, message)
    }
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }
    pub fn too_many(retry_after: u64) -> ApiError {
        ApiError { status: StatusCode::TOO_MANY_REQUESTS, message: format!("too many requests: retry in {retry_after}s"), retry_after: Some(retry_after) }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> ApiError {
        if let Some(invalid) = e.downcast_ref::<Invalid>() {
            return ApiError::bad_request(invalid.0.clone());
        }
        tracing::error!(error = %format!("{e:#}"), "storage error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "the server could not complete the request (see its log)")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(ApiErrorBody { error: self.message })).into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
