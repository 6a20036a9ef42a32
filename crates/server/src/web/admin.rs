//! The producer and admin set-up page, `GET /admin`: sessions (create, edit, go live, end, the
//! overlay link), their sources and health, staff accounts and the after-session report. Like
//! every screen it only talks to the staff API; see `web/admin/`.

use super::staff_page;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin", get(admin))
}

async fn admin(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    staff_page(&state, &headers, &uri, "admin/index.html").await
}
