//! Staff sign-in: argon2id password hashes, random tokens stored only as SHA-256 hashes, a
//! HttpOnly cookie with a CSRF token for browsers, and a bearer header for scripts.

use crate::client::{client_address, ClientAddr};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::signin::{Lane, Origin};
use crate::state::AppState;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::Argon2;
use axum::extract::{FromRequestParts, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use curbside_domain::{Access, Permission, QuestionId, Role, SessionId, StaffUser};
use curbside_store::AuditRecord;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::marker::PhantomData;
use std::net::IpAddr;
use std::time::Duration;

pub const SESSION_COOKIE: &str = "curbside_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Set after a successful sign-in: that browser's later attempts for the account are counted
/// apart from its address (see `signin.rs`).
pub const KNOWN_DEVICE_COOKIE: &str = "curbside_known_device";
/// How long a browser stays a known device for an account.
const KNOWN_DEVICE_TTL: Duration = Duration::from_secs(90 * 24 * 3600);
/// How long a sign-in lasts: a long broadcast day, not a week.
pub const LOGIN_TTL: Duration = Duration::from_secs(12 * 3600);

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the password failed: {e}"))
}

/// Checks `password` against a PHC-format Argon2 hash. The 19 MiB of Argon2 working memory is
/// one buffer per thread, reused by every check on it: with a fixed pool of password threads
/// (`signin.rs`) the memory is allocated once instead of once per attempt, which would leave
/// the allocator's arenas fragmented and growing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    thread_local! {
        static BLOCKS: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    let (Ok(algorithm), Ok(params)) =
        (argon2::Algorithm::try_from(parsed.algorithm), argon2::Params::try_from(&parsed))
    else {
        return false;
    };
    let version = match parsed.version.map(argon2::Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return false };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else { return false };
    let expected = expected.as_bytes();
    let mut out = vec![0u8; expected.len()];
    let blocks_needed = params.block_count();
    let hashed = BLOCKS.with(|blocks| {
        let mut blocks = blocks.borrow_mut();
        if blocks.len() < blocks_needed {
            blocks.resize(blocks_needed, argon2::Block::default());
        }
        Argon2::new(algorithm, version, params).hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut out,
            &mut blocks[..blocks_needed],
        )
    });
    hashed.is_ok() && bool::from(subtle::ConstantTimeEq::ct_eq(out.as_slice(), expected))
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
    /// Where the request came from, for the audit log.
    pub client_addr: Option<IpAddr>,
}

impl Staff {
    /// 403 unless the member's role may do `permission` (in some session, for specialists:
    /// see [`Staff::require_in_session`]).
    pub fn require(&self, permission: Permission) -> ApiResult<()> {
        if self.user.role.may(permission) {
            Ok(())
        } else {
            let needed: Vec<&str> =
                Role::ALL.iter().filter(|r| r.may(permission)).map(|r| r.as_str()).collect();
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

    /// 403 unless the member may do `permission` in `session`: specialists only in sessions
    /// they are assigned to.
    pub async fn require_in_session(
        &self,
        state: &AppState,
        permission: Permission,
        session: SessionId,
    ) -> ApiResult<()> {
        match self.user.role.access(permission) {
            Access::Everywhere => Ok(()),
            Access::Denied => self.require(permission),
            Access::AssignedSessions => {
                if state.db("session.assigned", state.store.is_assigned(session, self.user.id)).await? {
                    Ok(())
                } else {
                    Err(ApiError::Forbidden(format!(
                        "you are not assigned to session {session}: a producer or admin can add you to it"
                    )))
                }
            }
        }
    }

    /// [`Staff::require_in_session`] for the session of question `id` (404 if there is none).
    pub async fn require_for_question(
        &self,
        state: &AppState,
        permission: Permission,
        id: QuestionId,
    ) -> ApiResult<()> {
        if self.user.role.access(permission) != Access::AssignedSessions {
            return self.require(permission);
        }
        let session = state.db("question.session", state.store.question_session(id)).await?;
        self.require_in_session(state, permission, session).await
    }

    /// The member as the audit log records them: id, name, role and client address.
    pub fn actor(&self) -> curbside_store::Actor {
        curbside_store::Actor::staff(self.user.id, &self.user.name)
            .with_role(self.user.role)
            .from_address(self.client_addr)
    }
}

pub use curbside_domain::{can, Needs};

/// A signed-in staff member whose role may do `P`, checked from the headers alone, before any
/// body is read: a wrong role gets 403 whatever it sent.
#[derive(Debug)]
pub struct Can<P> {
    pub staff: Staff,
    _permission: PhantomData<P>,
}

impl<P> std::ops::Deref for Can<P> {
    type Target = Staff;
    fn deref(&self) -> &Staff {
        &self.staff
    }
}

impl<P: Needs + Send> FromRequestParts<AppState> for Can<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let staff = Staff::from_request_parts(parts, state).await?;
        staff.require(P::PERMISSION)?;
        Ok(Can { staff, _permission: PhantomData })
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
    Ok(Some(Staff { user: login.user, token_hash: hash, client_addr: None }))
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let mut staff =
            authenticate(state, &parts.headers, &parts.method).await?.ok_or(ApiError::Unauthenticated)?;
        staff.client_addr = Some(client_address(parts, state));
        Ok(staff)
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

/// Sign in with email and password. Limited per (account, client), per account and per
/// client before any password is checked (see `signin.rs`); 429 with `Retry-After` when refused
/// or when every password-checking place is taken.
#[utoipa::path(post, path = "/api/login", request_body = LoginRequest, tag = "auth",
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::error::ErrorBody),
              (status = 429, body = crate::error::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let limiter = &state.login_limiter;
    let origin = if limiter.is_known_device(&req.email, cookie(&headers, KNOWN_DEVICE_COOKIE)) {
        Origin::KnownDevice
    } else {
        Origin::Address(client)
    };
    let attempt = limiter.begin(&req.email, origin).map_err(|r| {
        tracing::info!(%client, "sign-in refused: too many failures");
        ApiError::TooManyRequests { retry_after_secs: r.retry_after.as_secs().max(1) }
    })?;
    let found = match state.store.user_for_sign_in(&req.email).await {
        Ok(found) => found,
        Err(e) => {
            state.login_limiter.cancel(attempt);
            return Err(e.into());
        }
    };
    // An unknown email is checked against a dummy hash, so it takes as long as a wrong password.
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, DUMMY_HASH.clone()),
    };
    let password = req.password;
    let lane = if origin == Origin::KnownDevice { Lane::KnownDevice } else { Lane::Shared };
    let checked = match state.passwords.submit(lane, move || verify_password(&password, &hash)) {
        Ok(pending) => pending.await,
        Err(busy) => Err(busy),
    };
    let ok = match checked {
        Ok(ok) => ok,
        Err(_busy) => {
            state.login_limiter.cancel(attempt);
            return Err(ApiError::Busy { retry_after_secs: 1 });
        }
    };
    let Some(user) = user.filter(|_| ok) else {
        tracing::info!(%client, "sign-in refused: wrong email or password");
        // The attempted email is recorded (never the password): repeated failures show up.
        let attempted: String = curbside_store::normalise_email(&req.email).chars().take(254).collect();
        let anonymous = curbside_store::Actor::system("anonymous").from_address(Some(client));
        let record = AuditRecord {
            action: "auth.sign_in_failed",
            detail: serde_json::json!({"email": attempted}),
            ..AuditRecord::default()
        };
        state.db("audit.record", state.store.record_audit(&anonymous, record)).await?;
        return Err(ApiError::WrongCredentials);
    };
    state.login_limiter.succeeded(attempt);
    let actor =
        curbside_store::Actor::staff(user.id, &user.name).with_role(user.role).from_address(Some(client));
    let record = AuditRecord { action: "auth.sign_in", ..AuditRecord::default() };
    state.db("audit.record", state.store.record_audit(&actor, record)).await?;
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
    let device = format!(
        "{KNOWN_DEVICE_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/api/login; Max-Age={}{secure}",
        state.login_limiter.device_token(&user.email),
        KNOWN_DEVICE_TTL.as_secs()
    );
    let mut resp = ApiJson(LoginResponse { token, csrf_token: csrf, expires_at, user }).into_response();
    for c in [cookie, device] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
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
pub async fn logout(
    State(state): State<AppState>,
    staff: Can<can::OwnAccount>,
    body: bytes::Bytes,
) -> ApiResult<Response> {
    let req: LogoutRequest = crate::api::optional_json(&body)?;
    if req.everywhere {
        state.store.delete_logins_of(staff.user.id).await?;
    } else {
        state.store.delete_login(&staff.token_hash).await?;
    }
    let action = if req.everywhere { "auth.sign_out_everywhere" } else { "auth.sign_out" };
    let record = AuditRecord { action, ..AuditRecord::default() };
    state.db("audit.record", state.store.record_audit(&staff.actor(), record)).await?;
    let mut resp = axum::http::StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("curbside_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    Ok(resp)
}

/// The signed-in staff member.
#[utoipa::path(get, path = "/api/me", tag = "auth", responses((status = 200, body = StaffUser)))]
pub async fn me(staff: Can<can::OwnAccount>) -> ApiJson<StaffUser> {
    ApiJson(staff.staff.user)
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
        // The reused buffer does not carry anything from one check to the next.
        let other = hash_password("another password entirely").unwrap();
        assert!(verify_password("another password entirely", &other));
        assert!(verify_password("correct horse battery", &h));
        // Hashes with other parameters (older accounts, other tools) still verify.
        let small = argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(8 * 1024, 3, 1, None).unwrap(),
        );
        let salt = SaltString::generate(&mut OsRng);
        let h = small.hash_password(b"older account", &salt).unwrap().to_string();
        assert!(verify_password("older account", &h));
        assert!(!verify_password("older accounT", &h));
    }

    #[test]
    fn cookie_reads_the_named_value() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; curbside_session=tok; b=2"));
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("tok"));
        assert_eq!(cookie(&h, "c"), None);
    }
}
