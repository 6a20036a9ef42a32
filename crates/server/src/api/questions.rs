//! The question queue and the actions on it. Each action goes through the domain's single
//! transition function inside the store, and answers with the question as it now is.

use super::{optional_json, required_json};
use crate::auth::{can, Can, Staff};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::state::AppState;
use axum::extract::State;
use axum::routing;
use axum::Router;
use bytes::Bytes;
use curbside_domain::{Action, Offset, Permission, Question, QuestionId, QuestionState, SessionId};
use serde::{Deserialize, Serialize};

/// The queue of a session and the actions on one question.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/sessions/{id}/questions", routing::get(list))
        .route("/api/questions/{id}", routing::get(get))
        .route("/api/questions/{id}/approve", routing::post(approve))
        .route("/api/questions/{id}/reject", routing::post(reject))
        .route("/api/questions/{id}/merge", routing::post(merge))
        .route("/api/questions/{id}/on-air", routing::post(on_air))
        .route("/api/questions/{id}/off-air", routing::post(off_air))
        .route("/api/questions/{id}/answer", routing::post(answer))
        .route("/api/questions/{id}/correct", routing::post(correct))
        .route("/api/questions/{id}/hide-at-source", routing::post(hide_at_source))
        .route("/api/questions/{id}/undo", routing::post(undo))
        .route("/api/questions/{id}/assign", routing::post(assign))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Only questions in this state (`new`, `approved`, `rejected`, `merged`, `on_air`,
    /// `answered`, `corrected`), or `active`: the moderators' queue (new or approved, and not
    /// removed or hidden on the platform). All states when absent.
    #[param(schema_with = state_filter_schema)]
    pub state: Option<String>,
    /// `priority`: emergencies first, then oldest first. Oldest first when absent (`created`).
    #[param(schema_with = order_schema)]
    pub order: Option<String>,
}

/// The `state` filter's values, from the domain's list of states.
fn state_filter_schema() -> utoipa::openapi::schema::Object {
    let values = std::iter::once("active").chain(QuestionState::ALL.iter().map(|s| s.as_str()));
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(values))
        .build()
}

fn order_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["created", "priority"]))
        .build()
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct QuestionPage {
    pub questions: Vec<Question>,
    /// The session's log offset this list is at least as new as: subscribe to `/ws` with
    /// `since` = this value to follow every later change without a gap.
    pub last_offset: Offset,
}

/// Common to every action body: the `version` the caller last saw, to refuse stale actions.
#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct ApproveBody {
    /// The moderator's public wording; the screened default (private details redacted) is kept
    /// when absent.
    pub public_text: Option<String>,
    pub version: Option<i64>,
    /// Approve although the wording still contains detected private information (otherwise
    /// refused with 409 naming what was found). Audited with its reason.
    #[serde(rename = "override")]
    pub override_: Option<OverrideBody>,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct OverrideBody {
    /// Why the wording may air as it is (required).
    pub reason: String,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct RejectBody {
    pub reason: Option<String>,
    pub version: Option<i64>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MergeBody {
    /// The question this one is a duplicate of.
    pub into: QuestionId,
    pub version: Option<i64>,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct VersionBody {
    pub version: Option<i64>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AnswerBody {
    pub text: String,
    pub version: Option<i64>,
}

/// A session's questions, oldest first.
#[utoipa::path(get, path = "/api/sessions/{id}/questions", tag = "questions",
    params(("id" = i64, Path), QueueQuery), responses((status = 200, body = QuestionPage)))]
pub async fn list(
    State(state): State<AppState>,
    _staff: Can<can::ViewSessions>,
    ApiPath(id): ApiPath<SessionId>,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> ApiResult<ApiJson<QuestionPage>> {
    let wanted = q.state.as_deref();
    let active_only = wanted == Some("active");
    let filter = match wanted.filter(|_| !active_only) {
        Some(s) => Some(QuestionState::parse(s).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "unknown state {s:?}: use active, new, approved, rejected, merged, on_air, answered or corrected"
            ))
        })?),
        None => None,
    };
    // The offset is read first: the list is then at least that new, and replaying events after
    // it re-applies whole question snapshots, which is harmless.
    let last_offset = state
        .db("session.offset", state.store.last_offset(id))
        .await?
        .ok_or(ApiError::NotFound("session".into()))?;
    let mut questions = state.db("question.list", state.store.questions(id, filter)).await?;
    if active_only {
        questions.retain(Question::is_active);
    }
    match q.order.as_deref() {
        None | Some("created") => {}
        // A stable sort keeps oldest first within each group.
        Some("priority") => questions.sort_by_key(|q| !q.flags.contains(&curbside_domain::Flag::Emergency)),
        Some(other) => {
            return Err(ApiError::BadRequest(format!("unknown order {other:?}: use created or priority")))
        }
    }
    Ok(ApiJson(QuestionPage { questions, last_offset }))
}

/// One question.
#[utoipa::path(get, path = "/api/questions/{id}", tag = "questions",
    params(("id" = i64, Path)), responses((status = 200, body = Question)))]
pub async fn get(
    State(state): State<AppState>,
    _staff: Can<can::ViewSessions>,
    ApiPath(id): ApiPath<QuestionId>,
) -> ApiResult<ApiJson<Question>> {
    Ok(ApiJson(state.db("question.get", state.store.question(id)).await?))
}

/// Applies an action for a staff member whose role (and, for specialists, assignment) the
/// handler has already checked before reading the body, so a wrong role gets 403 whatever it sent.
async fn act(
    state: &AppState,
    staff: &Staff,
    id: QuestionId,
    action: Action,
    version: Option<i64>,
) -> ApiResult<ApiJson<Question>> {
    let kind = action.kind();
    let q = state.db("question.act", state.store.act(id, action, &staff.actor(), version)).await?;
    tracing::info!(question_id = %id, action = kind.as_str(), user_id = %staff.user.id, "question action");
    Ok(ApiJson(q))
}

/// Approve a question for air, optionally rewording it. Refused (409) while the wording still
/// contains detected private information, unless `override.reason` is given (audited).
#[utoipa::path(post, path = "/api/questions/{id}/approve", tag = "questions", request_body(content = ApproveBody, description = "optional"),
    params(("id" = i64, Path)), responses((status = 200, body = Question), (status = 409, body = crate::error::ErrorBody)))]
pub async fn approve(
    State(state): State<AppState>,
    staff: Can<can::Moderate>,
    ApiPath(id): ApiPath<QuestionId>,
    body: Bytes,
) -> ApiResult<ApiJson<Question>> {
    staff.require_for_question(&state, Permission::Moderate, id).await?;
    let b: ApproveBody = optional_json(&body)?;
    let reason = match &b.override_ {
        Some(o) if o.reason.trim().is_empty() => {
            return Err(ApiError::Unprocessable("`override.reason` must say why the wording may air".into()))
        }
        Some(o) => Some(o.reason.as_str()),
        None => None,
    };
    let action = Action::approve_overriding(b.public_text.as_deref(), reason)?;
    act(&state, &staff, id, action, b.version).await
}

/// Reject a question.
#[utoipa::path(post, path = "/api/questions/{id}/reject", tag = "questions", request_body(content = RejectBody, description = "optional"),
    params(("id" = i64, Path)), responses((status = 200, body = Question), (status = 409, body = crate::error::ErrorBody)))]
pub async fn reject(
    State(state): State<AppState>,
    staff: Can<can::Moderate>,
    ApiPath(id): ApiPath<QuestionId>,
    body: Bytes,
) -> ApiResult<ApiJson<Question>> {
    staff.require_for_question(&state, Permission::Moderate, id).await?;
    let b: RejectBody = optional_json(&body)?;
    act(&state, &staff, id, Action::reject(b.reason.as_deref())?, b.version).await
}

/// Fold a duplicate into another question of the same session.
#[utoipa::path(post, path = "/api/questions/{id}/merge", tag = "questions", request_body = MergeBody,
    params(("id" = i64, Path)), responses((status = 200, body = Question), (status = 409, body = crate::error::ErrorBody)))]
pub async fn merge(
    State(state): State<AppState>,
    staff: Can<can::Moderate>,
    ApiPath(id): ApiPath<QuestionId>,
    ApiJson(b): ApiJson<MergeBody>,
) -> ApiResult<ApiJson<Question>> {
    act(&state, &staff, id, Action::Merge { into: b.into }, b.version).await
}

/// Put an approved question on air.
#[utoipa::path(post, path = "/api/questions/{id}/on-air", tag = "questions", request_body(content = VersionBody, description = "optional"),
    params(("id" = i64, Path)), responses((status = 200, body = Question), (status = 409, body = crate::error::ErrorBody)))]
pub async fn on_air(
    State(state): State<AppState>,
    staff: Can<can::PutOnAir>,
    ApiPath(id): ApiPath<QuestionId>,
    body: Bytes,
) -> ApiResult<ApiJson<Question>> {
    staff.require_for_question(&state, Permission::PutOnAir, id).await?;
    let b: VersionBody = optional_json(&body)?;
    act(&state, &staff, id, Action::PutOnAir, b.version).await
}

/// Take the question on air off air (back to approved).
#[utoipa::path(post, path = "/api/questions/{id}/off-air", tag = "questions", request_body(content = VersionBody, description = "optional"),
    params(("id" = i64, Path)), responses((status = 200, body = Question), (status = 409, body = crate::error::ErrorBody)))]
pub async fn off_air(
    State(state): State<AppState>,
    staff: Can<can::PutOnAir>,
    ApiPath(id): ApiPath<QuestionId>,
    body: Bytes,
) -> ApiResult<ApiJson<Question>> {
    staff.require_for_question(&state, Permission::PutOnAir, id).await?;
    let b: VersionBody = optional_json(&body)?;
    act(&state, &staff, id, Action::TakeOffAir, b.version).await
}

/// Record the answer and publish it to the transcript.
#[utoipa::path(post, path = "/api/questions/{id}/answer", tag = "questions", request_body = AnswerBody,
    params(("id" = i64, Path)), responses((status = 200, body = Question), (status = 409, body = crate::error::ErrorBody)))]
pub async fn answer(
    State(state): State<AppState>,
    staff: Can<can::Answer>,
    ApiPath(id): ApiPath<QuestionId>,
    body: Bytes,
) -> ApiResult<ApiJson<Question>> {
    // Assignment is checked before the body is read, like the role.
    staff.require_for_question(&state, Permission::Answer, id).await?;
    let b: AnswerBody = required_json(&body)?;
    act(&state, &staff, id, Action::answer(&b.text)?, b.version).await
}

/// Correct a published answer; the earlier version stays in the history.
#[utoipa::path(post, path = "/api/questions/{id}/correct", tag = "questions", request_body = AnswerBody,
    params(("id" = i64, Path)), responses((status = 200, body = Question), (status = 409, body = crate::error::ErrorBody)))]
pub async fn correct(
    State(state): State<AppState>,
    staff: Can<can::Answer>,
    ApiPath(id): ApiPath<QuestionId>,
    body: Bytes,
) -> ApiResult<ApiJson<Question>> {
    // Assignment is checked before the body is read, like the role.
    staff.require_for_question(&state, Permission::Answer, id).await?;
    let b: AnswerBody = required_json(&body)?;
    act(&state, &staff, id, Action::correct(&b.text)?, b.version).await
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HideResult {
    /// One hide action per comment behind the question (already hidden ones are skipped).
    pub queued: Vec<curbside_domain::OutboxItem>,
}

/// Hide the question's comments on their platforms (for comments exposing private details).
#[utoipa::path(post, path = "/api/questions/{id}/hide-at-source", tag = "questions",
    params(("id" = i64, Path)), responses((status = 202, body = HideResult)))]
pub async fn hide_at_source(
    State(state): State<AppState>,
    staff: Can<can::Moderate>,
    ApiPath(id): ApiPath<QuestionId>,
) -> ApiResult<(axum::http::StatusCode, ApiJson<HideResult>)> {
    let queued = state.db("question.hide", state.store.hide_at_source(id, &staff.actor())).await?;
    tracing::info!(question_id = %id, comments = queued.len(), user_id = %staff.user.id, "hide at source queued");
    Ok((axum::http::StatusCode::ACCEPTED, ApiJson(HideResult { queued })))
}

/// Undo your own last triage decision (approve, reject or merge of a new question) within 10
/// seconds: a reverse transition back to `new`, audited. 409 once someone else acted on it or
/// the 10 seconds have passed.
#[utoipa::path(post, path = "/api/questions/{id}/undo", tag = "questions",
    params(("id" = i64, Path)), responses((status = 200, body = Question), (status = 409, body = crate::error::ErrorBody)))]
pub async fn undo(
    State(state): State<AppState>,
    staff: Can<can::Moderate>,
    ApiPath(id): ApiPath<QuestionId>,
) -> ApiResult<ApiJson<Question>> {
    let q = state.db("question.undo", state.store.undo(id, &staff.actor())).await?;
    tracing::info!(question_id = %id, user_id = %staff.user.id, "question action undone");
    Ok(ApiJson(q))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AssignBody {
    /// One of the session's specialists, or `null` to clear the assignment.
    #[schema(value_type = Option<i64>)]
    pub user_id: Option<curbside_domain::UserId>,
}

/// Assign the question to one of the session's specialists (their tablet shows it first and
/// marked), or clear it with `null`. Audited; announced as a question event `assign`.
#[utoipa::path(post, path = "/api/questions/{id}/assign", request_body = AssignBody, tag = "questions",
    params(("id" = i64, Path)), responses((status = 200, body = Question), (status = 409, body = crate::error::ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    staff: Can<can::Moderate>,
    ApiPath(id): ApiPath<QuestionId>,
    ApiJson(req): ApiJson<AssignBody>,
) -> ApiResult<ApiJson<Question>> {
    let q = state
        .db("question.assign", state.store.assign_question(id, req.user_id, &staff.actor()))
        .await
        .map_err(|e| ApiError::store_field("user_id", e))?;
    tracing::info!(question_id = %id, user_id = %staff.user.id, "question assigned");
    Ok(ApiJson(q))
}
