//! The on-air overlay for OBS/vMix browser sources, `GET /overlay/{slug}?key=…`. The page is the
//! same for every slug and key (it reveals nothing); its script reads the overlay stream.

use crate::state::AppState;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new().route("/overlay/{slug}", get(overlay_page))
}

async fn overlay_page() -> Response {
    super::page("overlay/index.html")
}
