//! The on-air overlay for OBS/vMix browser sources: the page `GET /overlay/{slug}?key=…` (the
//! same bytes for every slug and key: it reveals nothing), its stream
//! `GET /overlay/{slug}/events?key=…` (Server-Sent Events of the domain's [`OverlayBody`]
//! projection, over the session's log and offsets), and the key's rotation.
//!
//! A wrong, old or missing key and an unknown slug get the very same 404: the stream tells
//! nobody whether a session exists.

use crate::api::sessions::{view, SessionView};
use crate::auth::{can, Can};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use curbside_domain::{
    EventAudience, EventBody, Offset, OverlayBody, OverlayQuestion, OverlaySpecialist, Session, SessionId,
};
use curbside_hub::{Item, Subscription};
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const KEEP_ALIVE: Duration = Duration::from_secs(20);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/overlay/{slug}", get(overlay_page))
        .route("/overlay/{slug}/events", get(overlay_events))
        .route("/api/sessions/{id}/overlay-key", post(rotate_key))
        .route("/api/sessions/{id}/on-air", get(on_air_now))
}

async fn overlay_page() -> Response {
    super::page("overlay/index.html")
}

#[derive(Deserialize)]
struct KeyQuery {
    key: Option<String>,
}

/// The one answer for "no such overlay", whatever the reason.
fn nothing_here() -> Response {
    (StatusCode::NOT_FOUND, [(header::CACHE_CONTROL, "no-store")], "not found").into_response()
}

fn key_matches(session: &Session, key: &str) -> bool {
    !key.is_empty() && subtle::ConstantTimeEq::ct_eq(session.overlay_key.as_bytes(), key.as_bytes()).into()
}

/// The first message of a stream: the session's broadcast details and what is on air now.
#[derive(Serialize)]
struct OverlayState {
    r#type: &'static str,
    title: String,
    disclaimer: String,
    specialists: Vec<OverlaySpecialist>,
    showing: Option<OverlayQuestion>,
}

/// `GET /overlay/{slug}/events?key=…`. Without `Last-Event-ID` it opens with the current state
/// (`"type":"state"`, `id:` the offset it was read at) and follows from there; with one, it
/// resumes after that offset. Ends when the key is rotated.
async fn overlay_events(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<KeyQuery>,
    headers: HeaderMap,
) -> Response {
    let key = q.key.unwrap_or_default();
    let session = match state.store.session_by_slug(&slug).await {
        Ok(Some(s)) if key_matches(&s, &key) => s,
        Ok(_) => return nothing_here(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|n| *n >= 0);
    let Some(permit) = state.hub.admit(curbside_hub::Budget::Public) else {
        return ApiError::Unavailable("too many live connections; retrying".into()).into_response();
    };
    let (first, since) = match resume {
        Some(n) => (None, Offset(n)),
        None => match current_state(&state, &session).await {
            Ok((chunk, at)) => (Some(chunk), at),
            Err(e) => return e.into_response(),
        },
    };
    let sub = match state.hub.subscribe(session.id, EventAudience::Staff, since).await {
        Ok(sub) => sub.hold_permit(permit),
        Err(e) => {
            tracing::warn!(error = %e, "overlay stream could not start");
            return ApiError::Unavailable("the overlay stream is unavailable; retrying".into())
                .into_response();
        }
    };
    let stream = overlay_stream(StreamState {
        app: state.clone(),
        session: session.id,
        key,
        first,
        sub,
        shutdown: state.shutdown.clone(),
    });
    let mut resp = Body::from_stream(stream).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    resp
}

/// What the overlay shows now, folded from the session's log up to the offset returned.
pub async fn overlay_now(
    state: &AppState,
    session: SessionId,
) -> ApiResult<(Option<OverlayQuestion>, Offset)> {
    // The offset is read first: replaying what follows it re-applies at worst a message the
    // fold already has (overlay messages are whole states, harmless twice).
    let head = state.store.last_offset(session).await?.unwrap_or(Offset(0));
    let mut showing = None;
    let mut after = Offset(0);
    while after < head {
        let page = state.store.events_after(session, EventAudience::Staff, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.offset;
        for e in page.iter().filter(|e| e.offset <= head) {
            if let Some(body) =
                serde_json::from_str::<EventBody>(&e.staff_json).ok().as_ref().and_then(OverlayBody::of)
            {
                showing = body.apply(showing);
            }
        }
    }
    Ok((showing, head))
}

/// The broadcast's specialists, by name and credentials (the overlay's byline before an answer).
async fn specialists(state: &AppState, session: &Session) -> Vec<OverlaySpecialist> {
    let Ok(users) = state.store.list_users().await else { return Vec::new() };
    users
        .into_iter()
        .filter(|u| session.specialists.contains(&u.id))
        .map(|u| OverlaySpecialist { name: u.name, credentials: u.credentials })
        .collect()
}

/// What is on air now, as the stream's first message, and the offset it is at least as new as.
async fn current_state(state: &AppState, session: &Session) -> ApiResult<(Bytes, Offset)> {
    let (showing, at) = overlay_now(state, session.id).await?;
    let body = OverlayState {
        r#type: "state",
        title: session.title.clone(),
        disclaimer: session.disclaimer.clone(),
        specialists: specialists(state, session).await,
        showing,
    };
    let json = serde_json::to_string(&body).map_err(|e| ApiError::Internal(e.into()))?;
    Ok((Bytes::from(format!("id: {}\ndata: {json}\n\n", at.0)), at))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OnAirNow {
    /// What the overlay shows now (a question on air, or answered and not yet taken off air).
    pub showing: Option<OverlayQuestion>,
    /// The log offset this is at least as new as.
    pub last_offset: Offset,
}

/// What the broadcast overlay shows right now, for staff screens (the tablet's "Off air").
#[utoipa::path(get, path = "/api/sessions/{id}/on-air", tag = "sessions",
    params(("id" = i64, Path)), responses((status = 200, body = OnAirNow)))]
pub async fn on_air_now(
    State(state): State<AppState>,
    _staff: Can<can::ViewSessions>,
    ApiPath(id): ApiPath<SessionId>,
) -> ApiResult<ApiJson<OnAirNow>> {
    state.store.session(id).await?;
    let (showing, last_offset) = overlay_now(&state, id).await?;
    Ok(ApiJson(OnAirNow { showing, last_offset }))
}

/// One overlay stream: who it follows, with which key, and what it sends first.
struct StreamState {
    app: AppState,
    session: SessionId,
    key: String,
    first: Option<Bytes>,
    sub: Subscription,
    shutdown: CancellationToken,
}

/// The staff events of the session, projected through [`OverlayBody::of`]; events the overlay
/// does not show become nothing (their offsets are skipped, like the public stream's gaps).
fn overlay_stream(st: StreamState) -> impl futures_util::Stream<Item = Result<Bytes, Infallible>> {
    let mut keep_alive = tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE);
    keep_alive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    futures_util::stream::unfold(Some((st, keep_alive)), |state| async move {
        let (mut st, mut keep_alive) = state?;
        if let Some(first) = st.first.take() {
            return Some((Ok(first), Some((st, keep_alive))));
        }
        loop {
            let frame = tokio::select! {
                biased;
                _ = st.shutdown.cancelled() => return None,
                item = st.sub.next() => match item {
                    Item::Frame(frame) => frame,
                    Item::Replayed { .. } | Item::Resync { .. } => continue,
                    // The page reconnects without an offset and starts from the current state.
                    Item::Reload { reason } => return Some((Ok(curbside_hub::sse_reload_chunk(reason)), None)),
                },
                _ = keep_alive.tick() => return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), Some((st, keep_alive)))),
            };
            let Ok(event) = serde_json::from_str::<EventBody>(frame.payload()) else { continue };
            if let EventBody::Session { change, .. } = &event {
                if *change == curbside_domain::SessionChange::OverlayKey
                    && !still_valid(&st.app, st.session, &st.key).await
                {
                    return None;
                }
                continue;
            }
            let Some(body) = OverlayBody::of(&event) else { continue };
            let Ok(json) = serde_json::to_string(&body) else { continue };
            let chunk = Bytes::from(format!("id: {}\ndata: {json}\n\n", frame.offset().0));
            return Some((Ok(chunk), Some((st, keep_alive))));
        }
    })
}

async fn still_valid(app: &AppState, session: SessionId, key: &str) -> bool {
    match app.store.session(session).await {
        Ok(s) => key_matches(&s, key),
        Err(_) => false,
    }
}

/// Replace the session's overlay key: the old overlay URL shows nothing from now on, and open
/// overlays with it are cut off. Returns the session with its new `overlay_url`.
#[utoipa::path(post, path = "/api/sessions/{id}/overlay-key", tag = "sessions",
    params(("id" = i64, Path)), responses((status = 200, body = SessionView), (status = 404, body = crate::error::ErrorBody)))]
pub async fn rotate_key(
    State(state): State<AppState>,
    staff: Can<can::RunSessions>,
    ApiPath(id): ApiPath<SessionId>,
) -> ApiResult<ApiJson<SessionView>> {
    let session = state.db("session.overlay_key", state.store.rotate_overlay_key(id, &staff.actor())).await?;
    tracing::info!(session_id = %id, user_id = %staff.user.id, "overlay key rotated");
    Ok(ApiJson(view(&state, session)))
}
