//! The moderator console page, `GET /console/{session_id}`: the live triage queue. Everything
//! it does goes through the staff API and `/ws`; see `web/console/`.

use super::staff_page;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new().route("/console/{session_id}", get(console))
}

async fn console(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    staff_page(&state, &headers, &uri, "console/index.html").await
}
