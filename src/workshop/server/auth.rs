//! Who is asking: the bearer token resolved to an instructor or a learner, after its rate
//! limit. Missing or unknown token: 401. The wrong kind or workshop: 403 (in the handlers,
//! through `instructor_of` and `learner`).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;

use super::AppState;
use super::error::ApiError;
use crate::workshop::db::Principal;
use crate::workshop::token;

pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Auth, ApiError> {
        let value =
            parts.headers.get(header::AUTHORIZATION).ok_or_else(|| ApiError::unauthorized("missing bearer token: send `Authorization: Bearer <token>`"))?;
        let bearer = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::unauthorized("the Authorization header must be `Bearer <token>`"))?;
        match state.db.principal(bearer).await? {
            Some(p) => {
                // keyed by the token's hash, never the token
                state.limiters.token(&token::hash(bearer))?;
                Ok(Auth(p))
            }
            None => {
                if let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
                    state.limiters.failure(peer.ip())?;
                }
                Err(ApiError::unauthorized("unknown token (revoked, mistyped, or for another server)"))
            }
        }
    }
}

impl Auth {
    /// The instructor of `workshop`, or 403.
    pub fn instructor_of(&self, workshop: &str) -> Result<(), ApiError> {
        match &self.0 {
            Principal::Instructor { workshop: w } if w == workshop => Ok(()),
            Principal::Instructor { .. } => Err(ApiError::forbidden("this instructor token is for another workshop")),
            Principal::Learner { .. } => Err(ApiError::forbidden("a learner token cannot read or change the workshop; use the instructor token")),
        }
    }

    /// (workshop, learner), or 403 for an instructor token.
    pub fn learner(&self) -> Result<(&str, &str), ApiError> {
        match &self.0 {
            Principal::Learner { workshop, learner } => Ok((workshop, learner)),
            Principal::Instructor { .. } => Err(ApiError::forbidden("an instructor token cannot send learner events; join as a learner")),
        }
    }
}
