//! A JSON body extractor whose rejections are the API's own errors: 413 over the size limit,
//! 400 with what is wrong for anything else (bad JSON, a missing field, a wrong type).

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::workshop::model::MAX_BODY;

pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<ApiJson<T>, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(reject(rejection)),
        }
    }
}

fn reject(rejection: JsonRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("request body larger than {} KiB", MAX_BODY / 1024));
    }
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::bad_request("send the body as JSON with `Content-Type: application/json`"),
        other => ApiError::bad_request(format!("invalid JSON body: {}", other.body_text())),
    }
}
