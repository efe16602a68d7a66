//! The JSON API: learners join and send events; the instructor reads the board, paces the
//! room and exports completion.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::auth::Auth;
use super::error::ApiError;
use super::json::ApiJson;
use crate::workshop::db::JoinRefused;
use crate::workshop::model::{
    Ack, Board, EventBatch, JoinCodeRequest, JoinCodeResponse, JoinRequest, JoinResponse, MAX_BATCH, MAX_MESSAGE, MAX_NAME, Pacing, PacingChange,
};

pub async fn join(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(req): ApiJson<JoinRequest>,
) -> Result<(StatusCode, Json<JoinResponse>), ApiError> {
    st.limiters.join(peer.ip())?;
    let name = valid_name(&req.name)?;
    if req.code.trim().is_empty() {
        return Err(ApiError::bad_request("the join code is empty"));
    }
    let joined = match st.db.join(&req.code, name, st.max_learners, req.rejoin.as_deref()).await? {
        Ok(j) => j,
        Err(JoinRefused::Code) => {
            return Err(ApiError::forbidden("this join code is not valid: mistyped, rotated or closed; ask the instructor for the current one"));
        }
        Err(JoinRefused::NameTaken) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                format!("a learner named \"{name}\" has joined this workshop already: join with another --name (the board tells learners apart by name)"),
            ));
        }
        Err(JoinRefused::Full(n)) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                format!("the workshop is full ({n} learners); the instructor can restart the server with a higher --max-learners"),
            ));
        }
    };
    st.changed(&joined.info.id, Some(&joined.learner));
    Ok((
        if joined.again { StatusCode::OK } else { StatusCode::CREATED },
        Json(JoinResponse {
            workshop: joined.info.id,
            workshop_name: joined.info.name,
            learner: joined.learner,
            token: joined.token,
            steps: joined.info.steps,
            rejoined: joined.again,
        }),
    ))
}

fn valid_name(name: &str) -> Result<&str, ApiError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ApiError::bad_request("the name is empty: say who you are, e.g. --name \"Ada L.\""));
    }
    if name.chars().count() > MAX_NAME {
        return Err(ApiError::bad_request(format!("the name is longer than {MAX_NAME} characters")));
    }
    if name.chars().any(|c| crate::workshop::model::forbidden_char(c, false)) {
        return Err(ApiError::bad_request("the name has control or invisible formatting characters"));
    }
    Ok(name)
}

pub async fn events(State(st): State<AppState>, auth: Auth, ApiJson(batch): ApiJson<EventBatch>) -> Result<Json<Ack>, ApiError> {
    let (workshop, learner) = auth.learner()?;
    if batch.events.len() > MAX_BATCH {
        return Err(ApiError::bad_request(format!("{} events in one batch; send at most {MAX_BATCH}", batch.events.len())));
    }
    // events, not only requests, are metered: a replayed outbox is slowed down, not refused
    st.limiters.events(learner, batch.events.len())?;
    let steps = st.steps(workshop).await?;
    let recorded = st.db.record(workshop, learner, &steps, &batch.events, batch.sent_at).await?;
    if recorded.duplicates < batch.events.len() || batch.events.is_empty() {
        st.changed(workshop, Some(learner));
    }
    let pacing = st.db.pacing(workshop).await?;
    Ok(Json(Ack { stored: recorded.stored, duplicates: recorded.duplicates, pacing }))
}

pub async fn pacing(State(st): State<AppState>, auth: Auth) -> Result<Json<Pacing>, ApiError> {
    let (workshop, _) = auth.learner()?;
    Ok(Json(st.db.pacing(workshop).await?))
}

pub async fn board(State(st): State<AppState>, auth: Auth, Path(id): Path<String>) -> Result<Json<Board>, ApiError> {
    auth.instructor_of(&id)?;
    let board = st.db.board(&id).await?.ok_or_else(|| ApiError::not_found("no such workshop"))?;
    Ok(Json(board))
}

pub async fn set_pacing(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(change): ApiJson<PacingChange>,
) -> Result<Json<Pacing>, ApiError> {
    auth.instructor_of(&id)?;
    let steps = st.steps(&id).await?;
    for exercise in change.lock.iter().chain(&change.release) {
        if !steps.iter().any(|s| &s.exercise == exercise) {
            let known: std::collections::BTreeSet<&str> = steps.iter().map(|s| s.exercise.as_str()).collect();
            return Err(ApiError::bad_request(format!(
                "{exercise} is not an exercise of this workshop (exercises: {})",
                known.into_iter().collect::<Vec<_>>().join(", ")
            )));
        }
    }
    if change.message.as_ref().is_some_and(|m| m.chars().count() > MAX_MESSAGE) {
        return Err(ApiError::bad_request(format!("the message is longer than {MAX_MESSAGE} characters")));
    }
    if change.message.as_ref().is_some_and(|m| m.chars().any(|c| crate::workshop::model::forbidden_char(c, true))) {
        return Err(ApiError::bad_request("the message has control or invisible formatting characters"));
    }
    st.db.set_pacing(&id, &change).await?;
    st.changed(&id, None);
    Ok(Json(st.db.pacing(&id).await?))
}

pub async fn join_code(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<JoinCodeRequest>,
) -> Result<Json<JoinCodeResponse>, ApiError> {
    auth.instructor_of(&id)?;
    let code = st.db.join_code(&id, req.action).await?;
    st.changed(&id, None);
    Ok(Json(JoinCodeResponse { code }))
}

#[derive(Debug, serde::Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    format: Option<String>,
}

pub async fn export(State(st): State<AppState>, auth: Auth, Path(id): Path<String>, Query(q): Query<ExportQuery>) -> Result<Response, ApiError> {
    auth.instructor_of(&id)?;
    let board = st.db.board(&id).await?.ok_or_else(|| ApiError::not_found("no such workshop"))?;
    let report = crate::workshop::export::Report::from_board(&board);
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(report).into_response()),
        "csv" => {
            let body = report.csv().map_err(anyhow::Error::from)?;
            let disposition = format!("attachment; filename=\"kubedojo-{id}.csv\"");
            Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)], body).into_response())
        }
        other => Err(ApiError::bad_request(format!("unknown export format {other:?}: use csv or json"))),
    }
}
