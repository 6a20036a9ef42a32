//! The emergency path of screening: the one-click crisis reply, recording an emergency's
//! outcome, the session's follow-up list of emergencies still open, and what screening may
//! decide by itself in a session (spam rejected, exact duplicates merged).

use super::optional_json;
use crate::auth::{can, Can, Staff};
use crate::error::{ApiJson, ApiPath, ApiResult};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing;
use axum::Router;
use bytes::Bytes;
use curbside_domain::{AutoHandling, OutboxItem, Question, QuestionId, SessionId};
use curbside_store::CannedReply;
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/questions/{id}/crisis-reply", routing::post(crisis_reply))
        .route("/api/questions/{id}/redirect-reply", routing::post(redirect_reply))
        .route("/api/questions/{id}/outcome", routing::post(outcome))
        .route("/api/sessions/{id}/follow-ups", routing::get(follow_ups))
        .route("/api/sessions/{id}/auto-handling", routing::put(set_auto_handling))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct CrisisReplyBody {
    /// The reply text; the configured reply (`CURBSIDE_CRISIS_REPLY` or `CURBSIDE_REDIRECT_REPLY`)
    /// when absent.
    pub text: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CrisisReplyResult {
    /// One reply per comment behind the question (Facebook reply, Instagram private reply).
    pub queued: Vec<OutboxItem>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct OutcomeBody {
    /// What happened: "replied with resources, on-call social worker paged", …
    pub outcome: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FollowUps {
    /// Emergencies without a recorded outcome, oldest first.
    pub questions: Vec<Question>,
}

/// Send the crisis reply (resources from configuration) through the platform reply path.
#[utoipa::path(post, path = "/api/questions/{id}/crisis-reply", tag = "safety", request_body(content = CrisisReplyBody, description = "optional"),
    params(("id" = i64, Path)), responses((status = 202, body = CrisisReplyResult), (status = 409, body = crate::error::ErrorBody)))]
pub async fn crisis_reply(
    State(state): State<AppState>,
    staff: Can<can::Moderate>,
    ApiPath(id): ApiPath<QuestionId>,
    body: Bytes,
) -> ApiResult<(StatusCode, ApiJson<CrisisReplyResult>)> {
    let b: CrisisReplyBody = optional_json(&body)?;
    let text = b.text.filter(|t| !t.trim().is_empty()).unwrap_or_else(|| state.config.crisis_reply.clone());
    send(&state, &staff, id, CannedReply::Crisis, &text).await
}

/// Send the personal-advice redirect (`CURBSIDE_REDIRECT_REPLY`) through the platform reply path.
#[utoipa::path(post, path = "/api/questions/{id}/redirect-reply", tag = "safety", request_body(content = CrisisReplyBody, description = "optional"),
    params(("id" = i64, Path)), responses((status = 202, body = CrisisReplyResult), (status = 409, body = crate::error::ErrorBody)))]
pub async fn redirect_reply(
    State(state): State<AppState>,
    staff: Can<can::Moderate>,
    ApiPath(id): ApiPath<QuestionId>,
    body: Bytes,
) -> ApiResult<(StatusCode, ApiJson<CrisisReplyResult>)> {
    let b: CrisisReplyBody = optional_json(&body)?;
    let text = b.text.filter(|t| !t.trim().is_empty()).unwrap_or_else(|| state.config.redirect_reply.clone());
    send(&state, &staff, id, CannedReply::Redirect, &text).await
}

async fn send(
    state: &AppState,
    staff: &Staff,
    id: QuestionId,
    kind: CannedReply,
    text: &str,
) -> ApiResult<(StatusCode, ApiJson<CrisisReplyResult>)> {
    let queued =
        state.db("question.canned_reply", state.store.canned_reply(id, kind, text, &staff.actor())).await?;
    tracing::info!(question_id = %id, comments = queued.len(), user_id = %staff.user.id, ?kind, "canned reply queued");
    Ok((StatusCode::ACCEPTED, ApiJson(CrisisReplyResult { queued })))
}

/// Record the outcome of an emergency; it leaves the follow-up list.
#[utoipa::path(post, path = "/api/questions/{id}/outcome", tag = "safety", request_body = OutcomeBody,
    params(("id" = i64, Path)), responses((status = 200, body = Question), (status = 409, body = crate::error::ErrorBody)))]
pub async fn outcome(
    State(state): State<AppState>,
    staff: Can<can::Moderate>,
    ApiPath(id): ApiPath<QuestionId>,
    ApiJson(b): ApiJson<OutcomeBody>,
) -> ApiResult<ApiJson<Question>> {
    let q = state.db("question.outcome", state.store.record_outcome(id, &b.outcome, &staff.actor())).await?;
    Ok(ApiJson(q))
}

/// The session's emergencies still waiting for an outcome.
#[utoipa::path(get, path = "/api/sessions/{id}/follow-ups", tag = "safety",
    params(("id" = i64, Path)), responses((status = 200, body = FollowUps)))]
pub async fn follow_ups(
    State(state): State<AppState>,
    _staff: Can<can::ViewSessions>,
    ApiPath(id): ApiPath<SessionId>,
) -> ApiResult<ApiJson<FollowUps>> {
    let questions = state.db("question.follow_ups", state.store.follow_ups(id)).await?;
    Ok(ApiJson(FollowUps { questions }))
}

/// Set what screening decides by itself in this session: `reject_spam` (questions flagged spam
/// arrive rejected) and `merge_exact_duplicates` (a repeat of an open question's exact text is
/// merged into it). Both default to off; an absent field is off. Audited; decisions are
/// audited as `screening` and a moderator can undo them.
#[utoipa::path(put, path = "/api/sessions/{id}/auto-handling", tag = "safety", request_body = AutoHandling,
    params(("id" = i64, Path)), responses((status = 200, body = AutoHandling)))]
pub async fn set_auto_handling(
    State(state): State<AppState>,
    staff: Can<can::RunSessions>,
    ApiPath(id): ApiPath<SessionId>,
    ApiJson(auto): ApiJson<AutoHandling>,
) -> ApiResult<ApiJson<AutoHandling>> {
    let session =
        state.db("session.auto_handling", state.store.set_auto_handling(id, auto, &staff.actor())).await?;
    Ok(ApiJson(session.auto_handling))
}
