//! `POST /s/{slug}/ask`: the patients' question form, for people without Facebook or Instagram.
//! The question becomes a comment of platform `web` through the same store ingest path as
//! webhook comments (so the same screening and queue apply), stored before the confirmation is
//! shown. Guarded against cross-site submission (Fetch Metadata and `Origin`), bots (a
//! honeypot field) and floods (a per-address limit with bounded memory).

use super::i18n::Lang;
use super::{html_response, page_error, render, PageError};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use curbside_domain::{NewComment, Platform, SessionStatus, Slug};
use dashmap::DashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// The longest question the form takes, in characters (also the textarea's `maxlength`).
pub const MAX_QUESTION_CHARS: usize = 500;
/// Questions one address may send per window.
const PER_WINDOW: u32 = 5;
const WINDOW: Duration = Duration::from_secs(600);
/// Addresses remembered at most; beyond this, expired ones are dropped, and if every one is
/// still active the form refuses new addresses until some expire (memory stays bounded).
const MAX_ADDRESSES: usize = 50_000;

/// Counts questions per client address in fixed windows. IPv6 addresses count per /64, the
/// block one subscriber usually holds.
#[derive(Default)]
pub struct AskLimiter {
    windows: DashMap<IpAddr, (Instant, u32)>,
}

impl AskLimiter {
    fn key(ip: IpAddr) -> IpAddr {
        match ip {
            IpAddr::V4(_) => ip,
            IpAddr::V6(v6) => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        }
    }

    /// Takes one question from `ip`'s allowance, or says how long until it may ask again.
    pub fn take(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let key = Self::key(ip);
        if !self.windows.contains_key(&key) && self.windows.len() >= MAX_ADDRESSES {
            self.windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
            if self.windows.len() >= MAX_ADDRESSES {
                return Err(WINDOW);
            }
        }
        let mut entry = self.windows.entry(key).or_insert((now, 0));
        let (start, count) = entry.value_mut();
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        if *count >= PER_WINDOW {
            return Err(WINDOW.saturating_sub(now.duration_since(*start)));
        }
        *count += 1;
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.windows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }
}

/// Whether the browser says the form was sent from this site. Browsers send `Sec-Fetch-Site`
/// (the decisive signal) or, older ones, `Origin`; a request with neither comes from a
/// non-browser client, which cannot carry a visitor's browser into a forged submission.
fn same_site(headers: &HeaderMap, public_url: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return site.as_bytes() == b"same-origin";
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else { return true };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let public = public_url.trim_end_matches('/');
    origin == public || origin == format!("http://{host}") || origin == format!("https://{host}")
}

struct AskForm {
    question: String,
    honeypot: String,
    lang: Option<String>,
}

fn parse_form(body: &[u8]) -> AskForm {
    let mut form = AskForm { question: String::new(), honeypot: String::new(), lang: None };
    for (k, v) in url::form_urlencoded::parse(body) {
        match k.as_ref() {
            "question" => form.question = v.into_owned(),
            "website" => form.honeypot = v.into_owned(),
            "lang" => form.lang = Some(v.into_owned()),
            _ => {}
        }
    }
    form
}

fn no_store(mut resp: Response) -> Response {
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

pub async fn ask(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let form = parse_form(&body);
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let (lang, _) = Lang::choose(form.lang.as_deref(), accept);
    let base = state.config.public_url.as_str();
    let t = lang.t();
    if Slug::parse(&slug).is_err() {
        return Err(PageError::NotFound(lang));
    }
    let session = state
        .db("session.by_slug", state.store.session_by_slug(&slug))
        .await
        .map_err(|e| page_error(lang, e))?
        .ok_or(PageError::NotFound(lang))?;
    if !same_site(&headers, base) {
        let page = render::message_page(lang, base, t.ask, t.ask_cross_site);
        return Ok(no_store(html_response(StatusCode::FORBIDDEN, page)));
    }
    let refuse = |status: StatusCode, text: &str, error: &str| {
        no_store(html_response(status, render::ask_page(lang, base, &session, text, error)))
    };
    if session.status == SessionStatus::Ended {
        return Ok(refuse(StatusCode::CONFLICT, "", t.ask_closed));
    }
    if !form.honeypot.trim().is_empty() {
        // A bot filled the invisible field: it sees the usual confirmation, nothing is stored.
        tracing::debug!(session_id = %session.id, "ask form honeypot filled; not stored");
        return Ok(no_store(html_response(StatusCode::OK, render::asked_page(lang, base, &session))));
    }
    let question = super::export::inert(form.question.trim()).trim().to_owned();
    if question.is_empty() {
        return Ok(refuse(StatusCode::UNPROCESSABLE_ENTITY, "", t.ask_empty));
    }
    if question.chars().count() > MAX_QUESTION_CHARS {
        return Ok(refuse(StatusCode::UNPROCESSABLE_ENTITY, &question, t.ask_too_long));
    }
    if let Err(wait) = state
        .public
        .ask_limiter
        .take(crate::client::client_addr(&state.config.trusted_proxies, &headers, peer), Instant::now())
    {
        let mut resp = refuse(StatusCode::TOO_MANY_REQUESTS, &question, t.ask_rate);
        if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(resp);
    }
    let comment = NewComment {
        session_id: session.id,
        source_id: None,
        platform: Platform::Web,
        platform_comment_id: format!("web-{}", hex::encode(rand::random::<[u8; 16]>())),
        author_id: None,
        author_name: None,
        text: question,
        parent_id: None,
        platform_time: curbside_store::now_millis(),
        via: "web".into(),
    };
    // The same path as webhook comments: durable when this returns, then screened and queued.
    state.db("ingest", state.store.ingest_comments(vec![comment])).await.map_err(|e| page_error(lang, e))?;
    tracing::info!(session_id = %session.id, "question received from the web form");
    Ok(no_store(html_response(StatusCode::OK, render::asked_page(lang, base, &session))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_five_questions_per_window() {
        let limiter = AskLimiter::default();
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..PER_WINDOW {
            assert!(limiter.take(ip, t0).is_ok());
        }
        assert!(limiter.take(ip, t0 + Duration::from_secs(1)).is_err());
        assert!(limiter.take("203.0.113.10".parse().unwrap(), t0).is_ok());
        assert!(limiter.take(ip, t0 + WINDOW).is_ok());
    }

    #[test]
    fn ipv6_addresses_share_their_64_block() {
        let limiter = AskLimiter::default();
        let t0 = Instant::now();
        for i in 0..PER_WINDOW {
            let ip: IpAddr = format!("2001:db8:1:2::{i}").parse().unwrap();
            assert!(limiter.take(ip, t0).is_ok());
        }
        assert!(limiter.take("2001:db8:1:2::ff".parse().unwrap(), t0).is_err());
        assert_eq!(limiter.len(), 1);
    }

    #[test]
    fn cross_site_posts_are_refused() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("qa.example.org"));
        assert!(same_site(&h, "https://qa.example.org"));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(!same_site(&h, "https://qa.example.org"));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://qa.example.org"));
        assert!(same_site(&h, "https://qa.example.org"));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_site(&h, "https://qa.example.org"));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_site(&h, "https://qa.example.org"));
    }
}
