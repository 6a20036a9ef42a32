//! The public pages' stylesheet and script, compiled into the binary and served under a URL
//! that carries their content hash, so browsers and CDNs may keep them forever.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

pub struct Asset {
    pub name: &'static str,
    pub ext: &'static str,
    pub content_type: &'static str,
    pub body: &'static str,
    url: LazyLock<String>,
}

impl Asset {
    /// `/s-assets/{name}.{hash}.{ext}`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

fn hashed(name: &str, ext: &str, body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    format!("/s-assets/{name}.{}.{ext}", &hex::encode(digest)[..12])
}

pub static CSS: Asset = Asset {
    name: "transcript",
    ext: "css",
    content_type: "text/css; charset=utf-8",
    body: include_str!("../../../../web/public/transcript.css"),
    url: LazyLock::new(|| hashed("transcript", "css", CSS.body)),
};

pub static JS: Asset = Asset {
    name: "transcript",
    ext: "js",
    content_type: "text/javascript; charset=utf-8",
    body: include_str!("../../../../web/public/transcript.js"),
    url: LazyLock::new(|| hashed("transcript", "js", JS.body)),
};

/// `GET /s-assets/{file}`: only the current hashed names exist.
pub async fn serve(Path(file): Path<String>) -> Response {
    for asset in [&CSS, &JS] {
        if asset.url().rsplit('/').next() == Some(file.as_str()) {
            return (
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
                    (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
                ],
                asset.body,
            )
                .into_response();
        }
    }
    (StatusCode::NOT_FOUND, "not found").into_response()
}
