//! The specialist's tablet page, `GET /tablet/{session_id}`: the approved queue, on air / off
//! air and the answer composer. Everything goes through the staff API and `/ws`; see `web/tablet/`.

use super::staff_page;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new().route("/tablet/{session_id}", get(tablet))
}

async fn tablet(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    staff_page(&state, &headers, &uri, "tablet/index.html").await
}
