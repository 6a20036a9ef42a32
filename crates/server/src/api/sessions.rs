//! Sessions: create, list, read, and move through scheduled → live → ended.

use crate::auth::{can, Can};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing;
use axum::Router;
use curbside_domain::{
    Role, Session, SessionId, SessionStatus, Slug, SourceId, SourceSpec, TextLimit, UserId,
};
use curbside_store::{NewSession, StoreError};
use serde::{Deserialize, Serialize};

/// `/api/sessions/…`
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/sessions", routing::post(create).get(list))
        .route("/api/sessions/{id}", routing::get(get).patch(patch))
        .route("/api/sessions/{id}/outbox", routing::get(outbox))
        .route("/api/sessions/{id}/audit", routing::get(audit))
        .route("/api/sessions/{id}/specialists", routing::post(assign_specialist))
        .route("/api/sessions/{id}/specialists/{user_id}", routing::delete(unassign_specialist))
        .route("/api/sessions/{id}/sources", routing::post(add_source))
        .route("/api/sessions/{id}/sources/{source_id}", routing::delete(remove_source))
        .route("/api/sessions/{id}/sources/{source_id}/token", routing::put(set_source_token))
        .route("/api/specialists", routing::get(specialists))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SourceInput {
    #[serde(flatten)]
    pub spec: SourceSpec,
    /// The Page or Instagram access token. Write-only: stored, used for Graph calls, never returned.
    pub access_token: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateSession {
    pub title: String,
    /// Defaults to one derived from the title.
    pub slug: Option<String>,
    /// Defaults to a general-information disclaimer.
    pub disclaimer: Option<String>,
    #[serde(default)]
    pub sources: Vec<SourceInput>,
    #[serde(default)]
    pub specialists: Vec<UserId>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PatchSession {
    pub status: Option<SessionStatus>,
    /// 1–200 characters.
    pub title: Option<String>,
    /// 1–64 of `a-z`, `0-9` and single dashes; must not be another session's. Changing it
    /// changes the public links (`/s/{slug}`, the overlay URL).
    pub slug: Option<String>,
    /// The line shown under every answer and on the overlay.
    pub disclaimer: Option<String>,
    /// The complete list of the session's specialists (replaces the current one).
    pub specialists: Option<Vec<UserId>>,
    /// When the broadcast is scheduled to start (unix milliseconds), shown on the public page
    /// while the session is upcoming. `null` clears it; absent leaves it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub starts_at: Option<Option<i64>>,
    /// The recording of the broadcast (an `http` or `https` URL, at most 2,000 characters). The
    /// transcript links each answer to its moment: `{t}` in the URL is replaced by the second,
    /// otherwise `#t=<seconds>` is appended. `null` or `""` clears it; absent leaves it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub recording_url: Option<Option<String>>,
}

/// Tells "absent" (`None`) from "null" (`Some(None)`) in a PATCH body.
fn present<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The longest recording link, in characters.
pub const RECORDING_URL_MAX: usize = 2_000;

/// The recording links staff may set, as a JSON Schema pattern (ECMA-262 and Python syntax):
/// `http` or `https`, a host name of letters and digits whose last label starts with a
/// letter (never an IP address), an optional port, then a path and query
/// of plain characters. [`recording_url_shape`] checks exactly this.
pub const RECORDING_URL_PATTERN: &str = r"^(https?://([A-Za-z0-9]+\.)*[A-Za-z][A-Za-z0-9]*(:[0-9]{1,4})?([/?#][A-Za-z0-9._~/?#=&%+,;:@!{}-]*)?)?$";

/// Whether `s` has the shape of [`RECORDING_URL_PATTERN`] (or is empty).
fn recording_url_shape(s: &str) -> bool {
    if s.is_empty() {
        return true;
    }
    let Some(rest) = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://")) else { return false };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    let labels_ok =
        host.split('.').all(|label| !label.is_empty() && label.bytes().all(|b| b.is_ascii_alphanumeric()));
    let host_ok = labels_ok
        && host.rsplit('.').next().is_some_and(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()));
    let port_ok = port.is_none_or(|p| (1..=4).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    let tail_ok = tail.bytes().all(|b| b.is_ascii_alphanumeric() || b"._~/?#=&%+,;:@!{}-".contains(&b));
    host_ok && port_ok && tail_ok
}

/// A recording link staff may set: http(s) only (never `javascript:` or `data:`), bounded,
/// with the shape the OpenAPI schema gives (so the schema and the server agree).
fn recording_url(raw: Option<String>) -> ApiResult<Option<String>> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else { return Ok(None) };
    if raw.chars().count() > RECORDING_URL_MAX {
        return Err(ApiError::field(
            "recording_url",
            format!("the recording link is longer than {RECORDING_URL_MAX} characters"),
        ));
    }
    let shaped = recording_url_shape(&raw);
    match url::Url::parse(&raw.replace("{t}", "0")) {
        Ok(u) if shaped && matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(Some(raw)),
        _ => Err(ApiError::field(
            "recording_url",
            "the recording link must be an http or https URL like https://video.example.org/watch?v=abc&t={t}",
        )),
    }
}

/// A slug as a form field: its format error names the field.
fn slug_field(raw: &str) -> ApiResult<Slug> {
    Slug::parse(raw).map_err(|e| ApiError::field("slug", e.to_string()))
}

/// A session as staff see it: with its overlay link (which carries the overlay key).
#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionView {
    #[serde(flatten)]
    pub session: Session,
    pub overlay_url: String,
    pub public_url: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionList {
    pub sessions: Vec<SessionView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<i64>,
}

/// Sessions are listed a page at a time.
pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SessionPageQuery {
    /// How many sessions to return (1 to 200; 50 when absent).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<i64>,
}

/// Facebook webhooks name comments by `{page_id}_{video_id}`: find the video behind each
/// live video now, so comments match from the first webhook. A failure is not fatal (the poller
/// tries again); it shows in the source's health. Returns whether anything was resolved.
async fn resolve_video_ids(state: &AppState, session: &Session) -> bool {
    let Some(graph) = &state.graph else { return false };
    let mut resolved = false;
    for view in &session.sources {
        if !matches!(view.spec, SourceSpec::Facebook { video_id: None, .. }) {
            continue;
        }
        let Ok(record) = state.store.source(view.id).await else { continue };
        // Bounded: creating a session must not hang on a slow Graph API (the poller retries).
        let lookup = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            curbside_connectors::resolve_video_id(&state.store, graph, &record),
        );
        match lookup.await.unwrap_or(Err(curbside_connectors::GraphCallError::Timeout)) {
            Ok(()) => resolved = true,
            Err(e) => {
                tracing::warn!(source_id = %view.id, error = %e, "cannot resolve the live video's video id");
                let health = match e.class() {
                    curbside_meta::ErrorClass::Reauth => curbside_domain::SourceState::NeedsReauth,
                    curbside_meta::ErrorClass::PermissionDenied => {
                        curbside_domain::SourceState::PermissionDenied
                    }
                    _ => curbside_domain::SourceState::Degraded,
                };
                let _ = state.store.record_source_health(view.id, health, Some(&e.to_string()), None).await;
            }
        }
    }
    resolved
}

pub fn view(state: &AppState, session: Session) -> SessionView {
    let base = &state.config.public_url;
    SessionView {
        overlay_url: format!("{base}/overlay/{}?key={}", session.slug, session.overlay_key),
        public_url: format!("{base}/s/{}", session.slug),
        session,
    }
}

/// Create a Q&A session with its platform sources.
#[utoipa::path(post, path = "/api/sessions", request_body = CreateSession, tag = "sessions",
    responses((status = 201, body = SessionView), (status = 422, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    staff: Can<can::RunSessions>,
    ApiJson(req): ApiJson<CreateSession>,
) -> ApiResult<(StatusCode, ApiJson<SessionView>)> {
    // Checked as sent, like the schema's pattern: empty means "derive one from the title".
    let slug = match req.slug.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(slug_field(s)?),
        None => None,
    };
    let title = TextLimit::TITLE.required(&req.title).map_err(|e| ApiError::field("title", e.to_string()))?;
    let disclaimer = TextLimit::DISCLAIMER
        .optional(req.disclaimer.as_deref())
        .map_err(|e| ApiError::field("disclaimer", e.to_string()))?;
    let new = NewSession {
        title,
        slug,
        disclaimer,
        sources: req.sources.into_iter().map(|s| (s.spec, s.access_token)).collect(),
        specialists: req.specialists,
    };
    let mut session = state
        .db("session.create", state.store.create_session(new, &staff.actor()))
        .await
        .map_err(|e| match e {
            // The only conflict creating a session can meet is a taken slug.
            StoreError::Conflict(m) => ApiError::field_conflict("slug", m),
            other => other.into(),
        })?;
    tracing::info!(session_id = %session.id, slug = %session.slug, "session created");
    if resolve_video_ids(&state, &session).await {
        session = state.db("session.get", state.store.session(session.id)).await?;
    }
    Ok((StatusCode::CREATED, ApiJson(view(&state, session))))
}

/// The sessions, newest first, a page at a time (`limit`, then `cursor` = the previous page's
/// `next_cursor`).
#[utoipa::path(get, path = "/api/sessions", tag = "sessions", params(SessionPageQuery),
    responses((status = 200, body = SessionList)))]
pub async fn list(
    State(state): State<AppState>,
    _staff: Can<can::ViewSessions>,
    ApiQuery(q): ApiQuery<SessionPageQuery>,
) -> ApiResult<ApiJson<SessionList>> {
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::BadRequest(format!("`limit` must be between 1 and {MAX_PAGE} (got {limit})")));
    }
    let (sessions, more) = state.db("session.list", state.store.sessions_page(q.cursor, limit)).await?;
    let next_cursor = if more { sessions.last().map(|s| s.id.0) } else { None };
    Ok(ApiJson(SessionList {
        sessions: sessions.into_iter().map(|s| view(&state, s)).collect(),
        next_cursor,
    }))
}

/// One session.
#[utoipa::path(get, path = "/api/sessions/{id}", tag = "sessions",
    params(("id" = i64, Path)), responses((status = 200, body = SessionView), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    _staff: Can<can::ViewSessions>,
    ApiPath(id): ApiPath<SessionId>,
) -> ApiResult<ApiJson<SessionView>> {
    let session = state.db("session.get", state.store.session(id)).await?;
    Ok(ApiJson(view(&state, session)))
}

/// Change a session's status (`scheduled` → `live` → `ended`), title, slug, disclaimer,
/// specialists, scheduled start or recording link. Every field is optional; absent ones stay.
/// A wrong field is a 422 (a taken slug a 409) whose body names it in `field`, and changes nothing.
#[utoipa::path(patch, path = "/api/sessions/{id}", request_body = PatchSession, tag = "sessions",
    params(("id" = i64, Path)), responses((status = 200, body = SessionView), (status = 409, body = crate::error::ErrorBody)))]
pub async fn patch(
    State(state): State<AppState>,
    staff: Can<can::RunSessions>,
    ApiPath(id): ApiPath<SessionId>,
    ApiJson(req): ApiJson<PatchSession>,
) -> ApiResult<ApiJson<SessionView>> {
    // Everything is checked before anything is written: a bad field changes nothing.
    if let Some(Some(t)) = req.starts_at {
        if t < 0 {
            return Err(ApiError::field("starts_at", "the scheduled start must be unix milliseconds"));
        }
    }
    let details = curbside_store::SessionDetails {
        title: req
            .title
            .as_deref()
            .map(|t| TextLimit::TITLE.required(t).map_err(|e| ApiError::field("title", e.to_string())))
            .transpose()?,
        slug: req.slug.as_deref().map(slug_field).transpose()?,
        disclaimer: req
            .disclaimer
            .as_deref()
            .map(|d| {
                TextLimit::DISCLAIMER.required(d).map_err(|e| ApiError::field("disclaimer", e.to_string()))
            })
            .transpose()?,
        starts_at: req.starts_at,
        recording_url: req.recording_url.map(recording_url).transpose()?,
    };
    if let Some(wanted) = &req.specialists {
        let active = state.db("user.list", state.store.list_users()).await?;
        if let Some(missing) = wanted.iter().find(|u| !active.iter().any(|a| a.id == **u)) {
            return Err(ApiError::field_conflict(
                "specialists",
                format!("user {missing} is not an active staff account"),
            ));
        }
    }
    state.db("session.get", state.store.session(id)).await?;
    if details != curbside_store::SessionDetails::default() {
        state
            .db("session.details", state.store.set_session_details(id, details, &staff.actor()))
            .await
            .map_err(|e| match e {
                StoreError::Conflict(m) => ApiError::field_conflict("slug", m),
                other => other.into(),
            })?;
    }
    if let Some(wanted) = &req.specialists {
        state.db("session.specialists", state.store.set_specialists(id, wanted, &staff.actor())).await?;
    }
    let session = match req.status {
        Some(status) => {
            state.db("session.status", state.store.set_session_status(id, status, &staff.actor())).await?
        }
        None => state.db("session.get", state.store.session(id)).await?,
    };
    Ok(ApiJson(view(&state, session)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OutboxList {
    pub items: Vec<curbside_domain::OutboxItem>,
}

/// The session's platform actions (replies, private replies, hides) and their delivery status.
#[utoipa::path(get, path = "/api/sessions/{id}/outbox", tag = "sessions",
    params(("id" = i64, Path)), responses((status = 200, body = OutboxList)))]
pub async fn outbox(
    State(state): State<AppState>,
    _staff: Can<can::ViewSessions>,
    ApiPath(id): ApiPath<SessionId>,
) -> ApiResult<ApiJson<OutboxList>> {
    state.db("session.get", state.store.session(id)).await?;
    Ok(ApiJson(OutboxList { items: state.db("outbox.list", state.store.outbox(id)).await? }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditList {
    pub entries: Vec<curbside_domain::AuditEntry>,
}

/// The session's audit trail: every staff and platform action, oldest first.
#[utoipa::path(get, path = "/api/sessions/{id}/audit", tag = "sessions",
    params(("id" = i64, Path)), responses((status = 200, body = AuditList)))]
pub async fn audit(
    State(state): State<AppState>,
    _staff: Can<can::ReadSessionAudit>,
    ApiPath(id): ApiPath<SessionId>,
) -> ApiResult<ApiJson<AuditList>> {
    state.db("session.get", state.store.session(id)).await?;
    Ok(ApiJson(AuditList { entries: state.db("audit.list", state.store.audit_log(id)).await? }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AssignSpecialist {
    pub user_id: UserId,
}

/// Assign a staff member to the session's specialists: specialists put on air and answer only
/// in sessions they are assigned to.
#[utoipa::path(post, path = "/api/sessions/{id}/specialists", request_body = AssignSpecialist, tag = "sessions",
    params(("id" = i64, Path)), responses((status = 200, body = SessionView)))]
pub async fn assign_specialist(
    State(state): State<AppState>,
    staff: Can<can::RunSessions>,
    ApiPath(id): ApiPath<SessionId>,
    ApiJson(req): ApiJson<AssignSpecialist>,
) -> ApiResult<ApiJson<SessionView>> {
    let session = state
        .db("session.assign", state.store.assign_specialist(id, req.user_id, true, &staff.actor()))
        .await?;
    Ok(ApiJson(view(&state, session)))
}

/// Remove a staff member from the session's specialists.
#[utoipa::path(delete, path = "/api/sessions/{id}/specialists/{user_id}", tag = "sessions",
    params(("id" = i64, Path), ("user_id" = i64, Path)), responses((status = 200, body = SessionView)))]
pub async fn unassign_specialist(
    State(state): State<AppState>,
    staff: Can<can::RunSessions>,
    ApiPath((id, user)): ApiPath<(SessionId, UserId)>,
) -> ApiResult<ApiJson<SessionView>> {
    let session =
        state.db("session.assign", state.store.assign_specialist(id, user, false, &staff.actor())).await?;
    Ok(ApiJson(view(&state, session)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SourceToken {
    /// The new Page or Instagram token. Write-only: stored encrypted, never returned or logged.
    pub access_token: String,
}

/// Replace a source's access token (e.g. when it shows `needs_reauth`). Audited, without the token.
#[utoipa::path(put, path = "/api/sessions/{id}/sources/{source_id}/token", request_body = SourceToken, tag = "sessions",
    params(("id" = i64, Path), ("source_id" = i64, Path)), responses((status = 200, body = SessionView)))]
pub async fn set_source_token(
    State(state): State<AppState>,
    staff: Can<can::RunSessions>,
    ApiPath((id, source)): ApiPath<(SessionId, SourceId)>,
    ApiJson(req): ApiJson<SourceToken>,
) -> ApiResult<ApiJson<SessionView>> {
    let session = state
        .db("source.token", state.store.set_source_token(id, source, &req.access_token, &staff.actor()))
        .await?;
    tracing::info!(session_id = %id, source_id = %source, "source token replaced");
    Ok(ApiJson(view(&state, session)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SourceAdded {
    /// The new source's id.
    pub source_id: SourceId,
    pub session: SessionView,
}

/// Add a platform source to a session. Its access token is sealed like every stored token and
/// never returned; audited without it. A Facebook live video's video id is looked up at once.
#[utoipa::path(post, path = "/api/sessions/{id}/sources", request_body = SourceInput, tag = "sessions",
    params(("id" = i64, Path)), responses((status = 201, body = SourceAdded), (status = 422, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody)))]
pub async fn add_source(
    State(state): State<AppState>,
    staff: Can<can::RunSessions>,
    ApiPath(id): ApiPath<SessionId>,
    ApiJson(req): ApiJson<SourceInput>,
) -> ApiResult<(StatusCode, ApiJson<SourceAdded>)> {
    if req.access_token.trim().is_empty() {
        return Err(ApiError::field("access_token", "paste the Page or Instagram access token"));
    }
    if let Err(m) = req.spec.validate() {
        return Err(ApiError::field(source_field(&req.spec, &m), m));
    }
    let (source_id, mut session) = state
        .db("source.add", state.store.add_source(id, &req.spec, &req.access_token, &staff.actor()))
        .await
        .map_err(|e| match e {
            StoreError::Conflict(m) => ApiError::field_conflict(source_field(&req.spec, ""), m),
            other => other.into(),
        })?;
    tracing::info!(session_id = %id, source_id = %source_id, platform = %req.spec.platform(), "source added");
    if resolve_video_ids(&state, &session).await {
        session = state.db("session.get", state.store.session(id)).await?;
    }
    Ok((StatusCode::CREATED, ApiJson(SourceAdded { source_id, session: view(&state, session) })))
}

/// The form field a source error is about: the id it names, else the platform's object id.
fn source_field(spec: &SourceSpec, message: &str) -> &'static str {
    for f in ["page_id", "live_video_id", "video_id", "ig_user_id", "media_id"] {
        if message.contains(f) {
            return f;
        }
    }
    match spec {
        SourceSpec::Facebook { .. } => "live_video_id",
        SourceSpec::Instagram { .. } => "media_id",
    }
}

/// Remove a source from a session: its comments stop arriving; stored questions stay. Audited.
#[utoipa::path(delete, path = "/api/sessions/{id}/sources/{source_id}", tag = "sessions",
    params(("id" = i64, Path), ("source_id" = i64, Path)), responses((status = 200, body = SessionView),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn remove_source(
    State(state): State<AppState>,
    staff: Can<can::RunSessions>,
    ApiPath((id, source)): ApiPath<(SessionId, SourceId)>,
) -> ApiResult<ApiJson<SessionView>> {
    let session = state.db("source.remove", state.store.remove_source(id, source, &staff.actor())).await?;
    tracing::info!(session_id = %id, source_id = %source, "source removed");
    Ok(ApiJson(view(&state, session)))
}

/// A staff member who can be put on a session's specialists (no email, no role details).
#[derive(Serialize, utoipa::ToSchema)]
pub struct SpecialistChoice {
    pub id: UserId,
    pub name: String,
    pub credentials: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SpecialistList {
    pub specialists: Vec<SpecialistChoice>,
}

/// The active specialist accounts with their names and credentials (what the transcript shows
/// anyway): for the session form (producers cannot list staff accounts) and the console's
/// "Assign to a specialist".
#[utoipa::path(get, path = "/api/specialists", tag = "sessions", responses((status = 200, body = SpecialistList)))]
pub async fn specialists(
    State(state): State<AppState>,
    _staff: Can<can::ViewSessions>,
) -> ApiResult<ApiJson<SpecialistList>> {
    let users = state.db("user.list", state.store.list_users()).await?;
    let specialists = users
        .into_iter()
        .filter(|u| u.role == Role::Specialist)
        .map(|u| SpecialistChoice { id: u.id, name: u.name, credentials: u.credentials })
        .collect();
    Ok(ApiJson(SpecialistList { specialists }))
}
