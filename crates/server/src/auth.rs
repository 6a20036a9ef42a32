//! Staff sign-in: argon2id password hashes, random tokens stored only as SHA-256 hashes, a
//! HttpOnly cookie with a CSRF token for browsers, and a bearer header for scripts.

use crate::error::{ApiError, ApiJson, ApiResult};
use crate::state::AppState;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use curbside_domain::{Role, StaffUser};
use dashmap::DashMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

pub const SESSION_COOKIE: &str = "curbside_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a sign-in lasts: a long broadcast day, not a week.
pub const LOGIN_TTL: Duration = Duration::from_secs(12 * 3600);

/// Which roles may do what. Handlers name one of these; the route table test checks them all.
pub mod policy {
    use curbside_domain::Role::{self, *};
    pub const ANY_STAFF: &[Role] = &[Admin, Producer, Moderator, Specialist];
    pub const RUN_SESSIONS: &[Role] = &[Admin, Producer];
    pub const MODERATE: &[Role] = &[Admin, Producer, Moderator];
    pub const PUT_ON_AIR: &[Role] = &[Admin, Producer, Specialist];
    pub const ANSWER: &[Role] = &[Admin, Specialist];
    pub const MANAGE_STAFF: &[Role] = &[Admin];
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the password failed: {e}"))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A hash of a real password, verified against when the email is unknown so that a wrong email
/// takes as long as a wrong password (no account enumeration by timing).
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password("not-a-real-password").unwrap_or_default());

pub fn random_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// An authenticated staff member, taken from the bearer header or the session cookie.
/// Cookie-authenticated writes must carry the sign-in's CSRF token in `X-CSRF-Token`.
#[derive(Debug, Clone)]
pub struct Staff {
    pub user: StaffUser,
    pub token_hash: String,
}

impl Staff {
    /// 403 unless the member's role is one of `allowed`.
    pub fn require(&self, allowed: &[Role]) -> ApiResult<()> {
        if allowed.contains(&self.user.role) {
            Ok(())
        } else {
            let needed: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
            let needed = match needed.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{}, or {last}", rest.join(", ")),
                _ => needed.join(""),
            };
            Err(ApiError::Forbidden(format!(
                "a {} may not do this; it needs the role {needed}",
                self.user.role
            )))
        }
    }

    pub fn actor(&self) -> curbside_store::Actor {
        curbside_store::Actor::staff(self.user.id, &self.user.name)
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// Resolves the caller from headers, if signed in. Used by the extractor and the WebSocket.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    method: &Method,
) -> ApiResult<Option<Staff>> {
    let (token, via_cookie) = match (bearer(headers), cookie(headers, SESSION_COOKIE)) {
        (Some(t), _) => (t, false),
        (None, Some(t)) => (t, true),
        (None, None) => return Ok(None),
    };
    let hash = token_hash(token);
    let Some(login) = state.store.login(&hash).await? else {
        return Err(ApiError::Unauthenticated);
    };
    let unsafe_method = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if via_cookie && unsafe_method {
        let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let ok: bool =
            subtle::ConstantTimeEq::ct_eq(token_hash(sent).as_bytes(), login.csrf_hash.as_bytes()).into();
        if sent.is_empty() || !ok {
            return Err(ApiError::Forbidden(format!(
                "cookie-authenticated writes need the {CSRF_HEADER} header from sign-in"
            )));
        }
    }
    Ok(Some(Staff { user: login.user, token_hash: hash }))
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        authenticate(state, &parts.headers, &parts.method).await?.ok_or(ApiError::Unauthenticated)
    }
}

/// Counts failed sign-ins per email and per client address, in memory: a brake on password
/// guessing. (Per node; correctness does not depend on it.)
#[derive(Default)]
pub struct LoginLimiter {
    failures: DashMap<String, Vec<Instant>>,
}

impl LoginLimiter {
    const WINDOW: Duration = Duration::from_secs(15 * 60);
    const PER_EMAIL: usize = 5;
    const PER_ADDRESS: usize = 30;

    fn keys(email: &str, addr: Option<SocketAddr>) -> [(String, usize); 2] {
        [
            (format!("email:{}", email.trim().to_lowercase()), Self::PER_EMAIL),
            (format!("addr:{}", addr.map(|a| a.ip().to_string()).unwrap_or_default()), Self::PER_ADDRESS),
        ]
    }

    /// Seconds until the next attempt is allowed, if it is not allowed now.
    fn blocked_for(&self, email: &str, addr: Option<SocketAddr>) -> Option<u64> {
        let now = Instant::now();
        Self::keys(email, addr).iter().find_map(|(key, max)| {
            let mut entry = self.failures.get_mut(key)?;
            entry.retain(|t| now.duration_since(*t) < Self::WINDOW);
            (entry.len() >= *max).then(|| {
                let oldest = entry.first().copied().unwrap_or(now);
                Self::WINDOW.saturating_sub(now.duration_since(oldest)).as_secs().max(1)
            })
        })
    }

    fn failed(&self, email: &str, addr: Option<SocketAddr>) {
        for (key, _) in Self::keys(email, addr) {
            self.failures.entry(key).or_default().push(Instant::now());
        }
    }

    fn succeeded(&self, email: &str) {
        self.failures.remove(&Self::keys(email, None)[0].0);
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`; the same value is set as an HttpOnly cookie.
    pub token: String,
    /// For cookie-authenticated writes: send as the `X-CSRF-Token` header.
    pub csrf_token: String,
    pub expires_at: i64,
    pub user: StaffUser,
}

/// Sign in with email and password.
#[utoipa::path(post, path = "/api/login", request_body = LoginRequest, tag = "auth",
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::error::ErrorBody),
              (status = 429, body = crate::error::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    if let Some(secs) = state.login_limiter.blocked_for(&req.email, Some(addr)) {
        return Err(ApiError::TooManyRequests { retry_after_secs: secs });
    }
    let found = state.store.user_for_sign_in(&req.email).await?;
    let password = req.password.clone();
    let (user, ok) = match found {
        Some((user, hash)) => {
            let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
                .await
                .map_err(|e| ApiError::Internal(e.into()))?;
            (Some(user), ok)
        }
        None => {
            let _ = tokio::task::spawn_blocking(move || verify_password(&password, &DUMMY_HASH)).await;
            (None, false)
        }
    };
    let Some(user) = user.filter(|_| ok) else {
        state.login_limiter.failed(&req.email, Some(addr));
        tracing::info!("sign-in refused");
        return Err(ApiError::Unauthenticated);
    };
    state.login_limiter.succeeded(&req.email);
    let token = random_token();
    let csrf = random_token();
    let expires_at = curbside_store::now_millis() + LOGIN_TTL.as_millis() as i64;
    state.store.create_login(user.id, &token_hash(&token), &token_hash(&csrf), expires_at).await?;
    tracing::info!(user_id = %user.id, role = %user.role, "signed in");
    let secure = if state.config.public_url.starts_with("https://") { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        LOGIN_TTL.as_secs()
    );
    let mut resp = ApiJson(LoginResponse { token, csrf_token: csrf, expires_at, user }).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct LogoutRequest {
    /// Also end every other sign-in of this account (other browsers and devices).
    #[serde(default)]
    pub everywhere: bool,
}

/// Sign out: the token stops working on every node; with `everywhere`, so do all of this
/// account's other sign-ins.
#[utoipa::path(post, path = "/api/logout", tag = "auth", request_body(content = LogoutRequest, description = "optional"),
    responses((status = 204)))]
pub async fn logout(State(state): State<AppState>, staff: Staff, body: bytes::Bytes) -> ApiResult<Response> {
    let req: LogoutRequest = crate::api::optional_json(&body)?;
    if req.everywhere {
        state.store.delete_logins_of(staff.user.id).await?;
    } else {
        state.store.delete_login(&staff.token_hash).await?;
    }
    let mut resp = axum::http::StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("curbside_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    Ok(resp)
}

/// The signed-in staff member.
#[utoipa::path(get, path = "/api/me", tag = "auth", responses((status = 200, body = StaffUser)))]
pub async fn me(staff: Staff) -> ApiJson<StaffUser> {
    ApiJson(staff.user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn cookie_reads_the_named_value() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; curbside_session=tok; b=2"));
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("tok"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn limiter_blocks_after_repeated_failures_for_one_email() {
        let l = LoginLimiter::default();
        for _ in 0..LoginLimiter::PER_EMAIL {
            assert!(l.blocked_for("a@x.org", None).is_none());
            l.failed("A@x.org", None);
        }
        assert!(l.blocked_for("a@x.org", None).is_some());
        assert!(l.blocked_for("b@x.org", None).is_none());
    }
}
