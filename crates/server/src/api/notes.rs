//! Backstage notes: moderators write to the specialist during the broadcast; the specialist's
//! "Got it" is the read receipt. Staff only; both go through the event log.

use crate::auth::{can, Can};
use crate::error::{ApiJson, ApiPath, ApiResult};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing;
use axum::Router;
use curbside_domain::{note::note_text, BackstageNote, QuestionId, SessionId};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/sessions/{id}/notes", routing::get(list).post(send))
        .route("/api/notes/{id}/read", routing::post(read))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewNote {
    /// Up to 500 characters.
    pub text: String,
    /// The question the note is about.
    pub question_id: Option<QuestionId>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NoteList {
    pub notes: Vec<BackstageNote>,
}

/// A session's backstage notes, oldest first.
#[utoipa::path(get, path = "/api/sessions/{id}/notes", tag = "notes",
    params(("id" = i64, Path)), responses((status = 200, body = NoteList)))]
pub async fn list(
    State(state): State<AppState>,
    _staff: Can<can::ViewSessions>,
    ApiPath(id): ApiPath<SessionId>,
) -> ApiResult<ApiJson<NoteList>> {
    state.store.session(id).await?;
    Ok(ApiJson(NoteList { notes: state.db("note.list", state.store.notes(id)).await? }))
}

/// Send a backstage note to the specialist.
#[utoipa::path(post, path = "/api/sessions/{id}/notes", tag = "notes", request_body = NewNote,
    params(("id" = i64, Path)), responses((status = 201, body = BackstageNote), (status = 422, body = crate::error::ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    staff: Can<can::Moderate>,
    ApiPath(id): ApiPath<SessionId>,
    ApiJson(b): ApiJson<NewNote>,
) -> ApiResult<(StatusCode, ApiJson<BackstageNote>)> {
    let text = note_text(&b.text)?;
    let note = state.db("note.add", state.store.add_note(id, b.question_id, &text, &staff.actor())).await?;
    Ok((StatusCode::CREATED, ApiJson(note)))
}

/// Acknowledge a note (the read receipt the moderators see).
#[utoipa::path(post, path = "/api/notes/{id}/read", tag = "notes",
    params(("id" = i64, Path)), responses((status = 200, body = BackstageNote)))]
pub async fn read(
    State(state): State<AppState>,
    staff: Can<can::PutOnAir>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<ApiJson<BackstageNote>> {
    Ok(ApiJson(state.db("note.read", state.store.mark_note_read(id, &staff.actor())).await?))
}
