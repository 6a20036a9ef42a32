//! The staff screens' web layer: `web/` embedded in the binary (see `build.rs`), served under
//! `/assets/{build hash}/…` with a year of caching and an ETag, and the HTML pages (sign-in,
//! console, tablet, overlay, admin), each screen with its own module and `router()`.
//!
//! Pages are static HTML that reference `{{assets}}`; the screen's JavaScript reads what it needs
//! (session id, slug) from the URL and talks only to the staff API and `/ws`.

pub mod admin;
pub mod console;
pub mod overlay;
pub mod tablet;

use crate::auth::authenticate;
use crate::state::AppState;
use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

/// One file of `web/`, compiled in.
#[derive(Debug)]
pub struct EmbeddedFile {
    /// Path below `web/`, with `/` separators.
    pub path: &'static str,
    /// Quoted content hash, ready for the `ETag` header.
    pub etag: &'static str,
    pub bytes: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// The URL prefix every page uses for its CSS and JavaScript.
pub fn assets_prefix() -> String {
    format!("/assets/{BUILD_HASH}")
}

pub fn file(path: &str) -> Option<&'static EmbeddedFile> {
    FILES.binary_search_by(|f| f.path.cmp(path)).ok().map(|i| &FILES[i])
}

/// The sign-in page and the assets; each screen's pages come from its own module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page))
        .route("/assets/{hash}/{*path}", get(asset))
        .merge(console::router())
        .merge(admin::router())
        .merge(tablet::router())
        .merge(overlay::router())
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff2" => "font/woff2",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

/// `GET /assets/{hash}/{path}`. Under the current build hash an asset never changes, so it is
/// cached for a year; under an older hash (a page loaded before an upgrade) it is served fresh
/// but revalidated, so that page keeps working without pinning old bytes.
async fn asset(Path((hash, path)): Path<(String, String)>, headers: HeaderMap) -> Response {
    // HTML pages are served by their routes, never as assets (they need no-cache and auth).
    let Some(f) = file(&path).filter(|f| !f.path.ends_with(".html")) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let cache = if hash == BUILD_HASH { "public, max-age=31536000, immutable" } else { "no-cache" };
    let mut resp = if not_modified(&headers, f.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type(f.path))], f.bytes).into_response()
    };
    let h = resp.headers_mut();
    h.insert(header::ETAG, HeaderValue::from_static(f.etag));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    resp
}

/// An HTML page of `web/` with its asset prefix filled in, never cached (it names the assets).
pub fn page(path: &str) -> Response {
    let Some(f) = file(path) else {
        tracing::error!(path, "an embedded page is missing from the build");
        return (StatusCode::INTERNAL_SERVER_ERROR, "page missing").into_response();
    };
    let html = String::from_utf8_lossy(f.bytes).replace("{{assets}}", &assets_prefix());
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        html,
    )
        .into_response()
}

/// A staff page: served to a signed-in member, otherwise a redirect to `/login?next=<this page>`.
/// (The page's API calls check roles; this only spares an anonymous visitor a blank screen.)
pub async fn staff_page(state: &AppState, headers: &HeaderMap, uri: &Uri, path: &str) -> Response {
    match authenticate(state, headers, &Method::GET).await {
        Ok(Some(_)) => page(path),
        Ok(None) | Err(crate::error::ApiError::Unauthenticated) => {
            let here = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            Redirect::to(&format!("/login?next={}", encode_component(here))).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn encode_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /login`: the sign-in form (its script signs in through `/api/login` and follows `?next=`
/// when it is a path on this site).
async fn login_page() -> Response {
    page("login/index.html")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_files_are_sorted_for_lookup_and_include_the_pages() {
        assert!(FILES.windows(2).all(|w| w[0].path < w[1].path));
        for p in [
            "index.html",
            "login/index.html",
            "console/index.html",
            "tablet/index.html",
            "overlay/index.html",
            "admin/index.html",
        ] {
            assert!(file(p).is_some(), "{p} is not embedded");
        }
        assert_eq!(BUILD_HASH.len(), 12);
    }

    #[test]
    fn components_are_percent_encoded() {
        assert_eq!(encode_component("/console/1?x=a b"), "%2Fconsole%2F1%3Fx%3Da%20b");
    }
}
