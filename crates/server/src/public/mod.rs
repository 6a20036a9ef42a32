//! The public face: `/s` (sessions and search across them), `/s/{slug}` (the transcript),
//! `/s/{slug}/q/{id}` (one answer's permalink), `/s/{slug}/search`, the exports, and the ask
//! form. Server-rendered and complete without JavaScript; a small script adds live updates.
//!
//! Pages and exports are rendered once per session offset and language and kept in memory, so a
//! busy live session is not re-rendered per request: a request costs a map lookup, and at most
//! every [`FRESH_FOR`] one request per session asks the database whether the offset moved.
//! The page embeds the offset it shows, and the live stream resumes after it, so a page up to
//! [`FRESH_FOR`] old loses nothing.

pub mod ask;
pub mod assets;
pub mod export;
pub mod i18n;
pub mod render;

use crate::state::AppState;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use curbside_domain::{SessionStatus, Slug};
use curbside_store::{PublicTranscript, StoreError};
use dashmap::DashMap;
use i18n::Lang;
use maud::Markup;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant, UNIX_EPOCH};

/// How long a cached page is served before the database is asked whether the session moved on.
pub const FRESH_FOR: Duration = Duration::from_millis(250);
/// Sessions kept rendered at most (the cache starts over beyond this).
const MAX_CACHED_SESSIONS: usize = 1_000;
/// Search results shown at most.
const MAX_HITS: i64 = 50;

/// The public routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/s", get(list))
        .route("/s/{slug}", get(page))
        .route("/s/{slug}/q/{id}", get(question))
        .route("/s/{slug}/search", get(search))
        .route(
            "/s/{slug}/transcript.json",
            get(|s: State<AppState>, p: Path<String>, h: HeaderMap| export(s, p, h, Kind::Json)),
        )
        .route(
            "/s/{slug}/transcript.md",
            get(|s: State<AppState>, p: Path<String>, h: HeaderMap| export(s, p, h, Kind::Markdown)),
        )
        .route(
            "/s/{slug}/transcript.csv",
            get(|s: State<AppState>, p: Path<String>, h: HeaderMap| export(s, p, h, Kind::Csv)),
        )
        .route(
            "/s/{slug}/chapters.vtt",
            get(|s: State<AppState>, p: Path<String>, h: HeaderMap| export(s, p, h, Kind::Chapters)),
        )
        .route("/s/{slug}/ask", post(ask::ask).layer(DefaultBodyLimit::max(8 * 1024)))
        .route("/s-assets/{file}", get(assets::serve))
        .route("/s/{slug}/{*rest}", get(not_found))
}

/// Any other address under a session: the 404 page.
async fn not_found(RawQuery(query): RawQuery, headers: HeaderMap) -> PageError {
    PageError::NotFound(language(query.as_deref(), &headers).0)
}

/// The public pages' shared state: rendered pages and the ask form's per-address limit.
#[derive(Default)]
pub struct PublicState {
    cache: DashMap<String, Arc<Cached>>,
    pub ask_limiter: ask::AskLimiter,
}

/// A page or export, rendered once for one session offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Page,
    Question(i64),
    Json,
    Markdown,
    Csv,
    Chapters,
}

#[derive(Clone)]
struct Rendered {
    body: Bytes,
    etag: HeaderValue,
}

/// One session's transcript at one offset, and what has been rendered from it.
struct Cached {
    transcript: PublicTranscript,
    /// Milliseconds since [`EPOCH`] when the offset was last confirmed current.
    checked: AtomicU64,
    renders: DashMap<(Kind, Lang), Rendered>,
}

static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);

fn since_epoch() -> u64 {
    EPOCH.elapsed().as_millis() as u64
}

/// Why a public page could not be shown; rendered as a page, never with internal details.
#[derive(Debug)]
pub enum PageError {
    NotFound(Lang),
    Unavailable(Lang),
}

pub(crate) fn page_error(lang: Lang, e: StoreError) -> PageError {
    tracing::warn!(error = %e, "public page: storage failed");
    PageError::Unavailable(lang)
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let base = "";
        let (status, lang, title, text) = match self {
            PageError::NotFound(l) => (StatusCode::NOT_FOUND, l, l.t().not_found_title, l.t().not_found_body),
            PageError::Unavailable(l) => {
                (StatusCode::SERVICE_UNAVAILABLE, l, l.t().error_title, l.t().error_body)
            }
        };
        let mut resp = html_response(status, render::message_page(lang, base, title, text));
        resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        resp
    }
}

pub(crate) fn html_response(status: StatusCode, page: Markup) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))],
        page.into_string(),
    )
        .into_response()
}

/// The language of a request and whether the response varies by `Accept-Language`.
fn language(query: Option<&str>, headers: &HeaderMap) -> (Lang, bool) {
    let lang = query.and_then(|q| param(q, "lang"));
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    Lang::choose(lang.as_deref(), accept)
}

fn param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// The search words from `?q=`, bounded.
fn search_query(query: Option<&str>) -> Option<String> {
    let q = query.and_then(|q| param(q, "q"))?;
    let q: String = export::inert(q.trim()).chars().take(200).collect();
    (!q.is_empty()).then_some(q)
}

impl PublicState {
    /// The session's transcript as current as [`FRESH_FOR`] allows, or `None` for an unknown slug.
    async fn transcript(&self, state: &AppState, slug: &str) -> Result<Option<Arc<Cached>>, StoreError> {
        if Slug::parse(slug).is_err() {
            return Ok(None);
        }
        let now = since_epoch();
        let cached = self.cache.get(slug).map(|c| Arc::clone(c.value()));
        if let Some(c) = &cached {
            if now.saturating_sub(c.checked.load(Ordering::Relaxed)) < FRESH_FOR.as_millis() as u64 {
                return Ok(cached);
            }
        }
        let Some((_, head)) = state.db("public.head", state.store.public_head(slug)).await? else {
            self.cache.remove(slug);
            return Ok(None);
        };
        if let Some(c) = cached.filter(|c| c.transcript.offset == head) {
            c.checked.store(now, Ordering::Relaxed);
            return Ok(Some(c));
        }
        let Some(transcript) = state.db("public.transcript", state.store.public_transcript(slug)).await?
        else {
            return Ok(None);
        };
        let fresh = Arc::new(Cached { transcript, checked: AtomicU64::new(now), renders: DashMap::new() });
        if self.cache.len() >= MAX_CACHED_SESSIONS {
            self.cache.clear();
        }
        self.cache.insert(slug.to_owned(), Arc::clone(&fresh));
        Ok(Some(fresh))
    }
}

impl Cached {
    /// The rendering of `kind` in `lang`, made once; `None` if there is no such answer.
    fn render(&self, kind: Kind, lang: Lang, base: &str) -> Option<Rendered> {
        if let Some(r) = self.renders.get(&(kind, lang)) {
            return Some(r.clone());
        }
        let t = &self.transcript;
        let recording = |sec: i64| render::recording_link(&t.session, sec);
        let body = match kind {
            Kind::Page => render::session_page(lang, base, t).into_string(),
            Kind::Question(id) => {
                let e = t.entries.iter().find(|e| e.id.0 == id)?;
                render::question_page(lang, base, t, e).into_string()
            }
            Kind::Json => export::json(t),
            Kind::Markdown => export::markdown(t, base, recording),
            Kind::Csv => export::csv(t),
            Kind::Chapters => export::chapters(t),
        };
        let digest = Sha256::digest(body.as_bytes());
        let etag = HeaderValue::from_str(&format!("\"{}\"", &hex::encode(digest)[..20]))
            .unwrap_or(HeaderValue::from_static("\"0\""));
        let rendered = Rendered { body: Bytes::from(body), etag };
        self.renders.insert((kind, lang), rendered.clone());
        Some(rendered)
    }
}

/// How long browsers and CDNs may keep a session's pages: long once it has ended (corrections
/// after that reach a CDN within a day), briefly while it is live (the stream does the rest).
fn cache_control(status: SessionStatus) -> HeaderValue {
    HeaderValue::from_static(match status {
        SessionStatus::Ended => "public, max-age=300, s-maxage=86400, stale-while-revalidate=86400",
        SessionStatus::Live => "public, max-age=5",
        SessionStatus::Scheduled => "public, max-age=60",
    })
}

fn http_date(ms: i64) -> Option<HeaderValue> {
    let at = UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
    HeaderValue::from_str(&httpdate::fmt_http_date(at)).ok()
}

/// Whether the client's copy is current (`If-None-Match`, else `If-Modified-Since`).
fn not_modified(headers: &HeaderMap, etag: &HeaderValue, last_modified_ms: i64) -> bool {
    if let Some(inm) = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        let ours = etag.to_str().unwrap_or("");
        return inm.split(',').any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == ours
        });
    }
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok());
    match since {
        Some(since) => {
            let modified = UNIX_EPOCH + Duration::from_secs((last_modified_ms.max(0) / 1000) as u64);
            modified <= since
        }
        None => false,
    }
}

fn respond(
    headers: &HeaderMap,
    cached: &Cached,
    rendered: Rendered,
    content_type: &'static str,
    vary: bool,
    disposition: Option<String>,
) -> Response {
    let t = &cached.transcript;
    let last_modified = t.last_modified();
    let fresh = not_modified(headers, &rendered.etag, last_modified);
    let mut resp = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = Response::new(Body::from(rendered.body));
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        r
    };
    let h = resp.headers_mut();
    h.insert(header::ETAG, rendered.etag);
    if let Some(lm) = http_date(last_modified) {
        h.insert(header::LAST_MODIFIED, lm);
    }
    h.insert(header::CACHE_CONTROL, cache_control(t.session.status));
    if vary {
        h.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    }
    if let Some(d) = disposition.and_then(|d| HeaderValue::from_str(&d).ok()) {
        h.insert(header::CONTENT_DISPOSITION, d);
    }
    resp
}

async fn cached(state: &AppState, slug: &str, lang: Lang) -> Result<Arc<Cached>, PageError> {
    state
        .public
        .transcript(state, slug)
        .await
        .map_err(|e| page_error(lang, e))?
        .ok_or(PageError::NotFound(lang))
}

/// `GET /s/{slug}`.
async fn page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    html_page(&state, &slug, query.as_deref(), &headers, Some(Kind::Page)).await
}

/// `GET /s/{slug}/q/{id}`.
async fn question(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    html_page(&state, &slug, query.as_deref(), &headers, id.parse().ok().map(Kind::Question)).await
}

/// A cached HTML page of a session in the reader's language; `kind` says which (`None`: 404).
async fn html_page(
    state: &AppState,
    slug: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    kind: Option<Kind>,
) -> Result<Response, PageError> {
    let (lang, vary) = language(query, headers);
    let kind = kind.ok_or(PageError::NotFound(lang))?;
    let c = cached(state, slug, lang).await?;
    let r = c.render(kind, lang, &state.config.public_url).ok_or(PageError::NotFound(lang))?;
    Ok(respond(headers, &c, r, "text/html; charset=utf-8", vary, None))
}

/// The downloads: the same for every language.
async fn export(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    kind: Kind,
) -> Result<Response, PageError> {
    let (lang, _) = language(None, &headers);
    let c = cached(&state, &slug, lang).await?;
    let r = c.render(kind, Lang::En, &state.config.public_url).ok_or(PageError::NotFound(lang))?;
    let (content_type, disposition) = match kind {
        Kind::Json => ("application/json", None),
        Kind::Markdown => ("text/markdown; charset=utf-8", Some("md")),
        Kind::Csv => ("text/csv; charset=utf-8", Some("csv")),
        _ => ("text/vtt; charset=utf-8", None),
    };
    let disposition = disposition.map(|ext| format!("attachment; filename=\"{slug}-transcript.{ext}\""));
    Ok(respond(&headers, &c, r, content_type, false, disposition))
}

/// `GET /s/{slug}/search?q=`: answers of one session matching the words.
async fn search(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (lang, vary) = language(query.as_deref(), &headers);
    let c = cached(&state, &slug, lang).await?;
    let session = &c.transcript.session;
    let q = search_query(query.as_deref()).unwrap_or_default();
    let found = state
        .db("public.search", state.store.search_transcripts(Some(session.id), &q, MAX_HITS))
        .await
        .map_err(|e| page_error(lang, e))?;
    Ok(listing(render::search_page(lang, &state.config.public_url, session, &q, &found), vary))
}

/// `GET /s`: every session, and `?q=` searches all published answers.
async fn list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (lang, vary) = language(query.as_deref(), &headers);
    let sessions =
        state.db("public.sessions", state.store.public_sessions()).await.map_err(|e| page_error(lang, e))?;
    let q = search_query(query.as_deref());
    let found = match &q {
        Some(q) => state
            .db("public.search", state.store.search_transcripts(None, q, MAX_HITS))
            .await
            .map_err(|e| page_error(lang, e))?,
        None => Vec::new(),
    };
    let search = q.as_deref().map(|q| (q, found.as_slice()));
    Ok(listing(render::list_page(lang, &state.config.public_url, &sessions, search), vary))
}

/// A list or search page: rendered per request, cacheable for a minute.
fn listing(page: Markup, vary: bool) -> Response {
    let mut resp = html_response(StatusCode::OK, page);
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    if vary {
        resp.headers_mut().insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    }
    resp
}
