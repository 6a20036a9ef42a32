//! The realtime endpoints: the WebSocket at `/ws` (staff and public) and the public
//! Server-Sent Events stream. Both are thin: authentication here, everything else in the hub.

use crate::auth::authenticate;
use crate::error::{ApiError, ApiPath, ApiQuery, ApiResult};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use curbside_domain::{EventAudience, Offset};
use curbside_hub::{Budget, StaffPrincipal};
use serde::Deserialize;

/// The staff and public WebSocket, and the public SSE stream.
pub fn router() -> Router<AppState> {
    Router::new().route("/ws", get(ws)).route("/s/{slug}/events", get(public_events))
}

/// Viewer sockets only ever send small control frames (a subscribe is about 100 bytes): a small
/// read buffer keeps an idle connection at a few KiB instead of tungstenite's default 128 KiB.
/// A larger frame (up to [`WS_MAX_MESSAGE`]) is still read, over several reads.
const WS_READ_BUFFER: usize = 1024;
const WS_MAX_MESSAGE: usize = 16 * 1024;

pub async fn ws(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> ApiResult<Response> {
    // A bad token is refused before the upgrade; no token means an anonymous (public) socket.
    let principal = authenticate(&state, &headers, &Method::GET)
        .await?
        .map(|s| StaffPrincipal { user_id: s.user.id, role: s.user.role });
    // Staff and viewers draw on separate budgets: viewers filling theirs cannot lock the
    // moderators out. A full budget is told with a 1013 close after the upgrade.
    let permit = state.hub.admit(if principal.is_some() { Budget::Staff } else { Budget::Public });
    let hub = state.hub.clone();
    let shutdown = state.shutdown.clone();
    let connections = state.connections.clone();
    Ok(upgrade
        .read_buffer_size(WS_READ_BUFFER)
        .max_message_size(WS_MAX_MESSAGE)
        .max_frame_size(WS_MAX_MESSAGE)
        .on_upgrade(move |socket| {
            connections.track_future(async move {
                match permit {
                    Some(permit) => {
                        curbside_hub::serve_admitted_socket(hub, socket, permit, principal, shutdown).await
                    }
                    None => curbside_hub::refuse_socket(socket).await,
                }
            })
        }))
}

#[derive(Deserialize)]
pub struct SinceQuery {
    pub since: Option<i64>,
}

/// `GET /s/{slug}/events`: the public live stream. `id:` is the event's offset; a reconnect with
/// `Last-Event-ID` (or `?since=`) resumes after it.
pub async fn public_events(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(q): ApiQuery<SinceQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let session =
        state.hub.session_by_slug(&slug).await?.ok_or_else(|| ApiError::NotFound("session".into()))?;
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::BadRequest("Last-Event-ID must be an event offset".into()))
        })
        .transpose()?;
    let permit = state
        .hub
        .admit(Budget::Public)
        .ok_or_else(|| ApiError::Unavailable("too many live viewers; try again shortly".into()))?;
    // Without a position, a new viewer starts from now: the page it loaded already shows the past.
    let sub = match last_event_id.or(q.since) {
        Some(n) if n < 0 => return Err(ApiError::BadRequest("since must not be negative".into())),
        Some(n) => state.hub.subscribe(session, EventAudience::Public, Offset(n)).await,
        None => state.hub.subscribe_from_head(session, EventAudience::Public).await,
    }
    .map_err(|e| match e {
        curbside_hub::HubError::UnknownSession(_) => ApiError::NotFound("session".into()),
        other => {
            tracing::warn!(error = %other, "public stream could not start");
            ApiError::Unavailable("the live stream is unavailable right now; retry shortly".into())
        }
    })?
    .hold_permit(permit);
    let stream = curbside_hub::sse_stream(sub, state.shutdown.clone());
    let mut resp = Body::from_stream(stream).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(resp)
}
