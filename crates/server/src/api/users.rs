//! Staff accounts, managed by admins.

use crate::auth::{can, hash_password, verify_password, Can};
use crate::error::ApiPath;
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::signin::Lane;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{patch, post};
use axum::Router;
use curbside_domain::{Role, StaffUser, TextLimit, UserId};
use curbside_store::{NewUser, UserChange};
use serde::{Deserialize, Serialize};

/// Staff accounts.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/users", post(create).get(list))
        .route("/api/users/{id}", patch(update))
        .route("/api/me/password", post(change_own_password))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub credentials: String,
    /// At least 12 characters.
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserList {
    /// Active accounts.
    pub users: Vec<StaffUser>,
    /// Disabled accounts (they cannot sign in), most recently disabled first.
    pub disabled: Vec<DisabledUser>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DisabledUser {
    #[serde(flatten)]
    pub user: StaffUser,
    /// When it was disabled (unix milliseconds).
    pub disabled_at: i64,
}

/// Emails are at most this many characters.
pub const EMAIL_MAX: usize = 254;
/// Passwords are at least this many characters.
pub const PASSWORD_MIN: usize = 12;
/// Passwords are at most this many characters (Argon2 takes any length; this bounds the work).
pub const PASSWORD_MAX: usize = 1024;

/// Checks and hashes a new account; shared by the API and `curbside user add`.
pub async fn new_user(
    email: &str,
    name: &str,
    role: Role,
    credentials: &str,
    password: &str,
) -> ApiResult<NewUser> {
    // Checked as sent (no trimming): exactly what the OpenAPI schema says.
    if !email.contains('@')
        || email.chars().count() > EMAIL_MAX
        || email.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(ApiError::field(
            "email",
            format!("{email:?} is not an email address (one @, no spaces, at most {EMAIL_MAX} characters)"),
        ));
    }
    let name = TextLimit::NAME.required(name).map_err(|e| ApiError::field("name", e.to_string()))?;
    let credentials = TextLimit::NAME
        .optional(Some(credentials))
        .map_err(|e| ApiError::field("credentials", e.to_string()))?
        .unwrap_or_default();
    let password_hash = new_password_hash("password", password).await?;
    Ok(NewUser { email: email.to_owned(), name, role, credentials, password_hash })
}

/// Checks a new password (at least [`PASSWORD_MIN`] characters; errors name `field`) and hashes
/// it off the async threads.
async fn new_password_hash(field: &'static str, password: &str) -> ApiResult<String> {
    if password.chars().count() < PASSWORD_MIN {
        return Err(ApiError::field(
            field,
            format!("the password must be at least {PASSWORD_MIN} characters long"),
        ));
    }
    if password.chars().count() > PASSWORD_MAX {
        return Err(ApiError::field(field, format!("the password is longer than {PASSWORD_MAX} characters")));
    }
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(ApiError::Internal)
}

/// Create a staff account.
#[utoipa::path(post, path = "/api/users", request_body = CreateUser, tag = "staff",
    responses((status = 201, body = StaffUser), (status = 409, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    staff: Can<can::ManageStaff>,
    ApiJson(req): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, ApiJson<StaffUser>)> {
    let new = new_user(&req.email, &req.name, req.role, &req.credentials, &req.password).await?;
    let user = state
        .db("user.create", state.store.create_user(new, &staff.actor()))
        .await
        .map_err(|e| ApiError::store_field("email", e))?;
    Ok((StatusCode::CREATED, ApiJson(user)))
}

/// Every staff account: the active ones, then the disabled ones.
#[utoipa::path(get, path = "/api/users", tag = "staff", responses((status = 200, body = UserList)))]
pub async fn list(
    State(state): State<AppState>,
    _staff: Can<can::ManageStaff>,
) -> ApiResult<ApiJson<UserList>> {
    let users = state.db("user.list", state.store.list_users()).await?;
    let disabled = state.db("user.list", state.store.list_disabled_users()).await?;
    let disabled =
        disabled.into_iter().map(|(user, disabled_at)| DisabledUser { user, disabled_at }).collect();
    Ok(ApiJson(UserList { users, disabled }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct UpdateUser {
    pub role: Option<Role>,
    /// `true` disables the account and signs it out everywhere; `false` enables it again.
    pub disabled: Option<bool>,
    /// A new password (at least 12 characters) set by an admin: the account is signed out
    /// everywhere and signs in with this one. Never returned or logged.
    pub password: Option<String>,
}

/// Change a staff account's role, disable or enable it, or reset its password. Audited with
/// before and after (never a password).
#[utoipa::path(patch, path = "/api/users/{id}", request_body = UpdateUser, tag = "staff",
    params(("id" = i64, Path)), responses((status = 200, body = StaffUser), (status = 409, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    staff: Can<can::ManageStaff>,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(req): ApiJson<UpdateUser>,
) -> ApiResult<ApiJson<StaffUser>> {
    if id == staff.user.id && req.password.is_some() {
        // A reset signs the account out everywhere, this browser included; changing one's own
        // password goes through the current one instead.
        return Err(ApiError::field_conflict(
            "password",
            "change your own password under \"Your password\" (POST /api/me/password): it asks for the current one",
        ));
    }
    let password_hash = match &req.password {
        Some(p) => Some(new_password_hash("password", p).await?),
        None => None,
    };
    let change = UserChange { role: req.role, disabled: req.disabled };
    let mut user = state
        .db("user.update", state.store.update_user(id, change, &staff.actor()))
        .await
        .map_err(|e| ApiError::store_field("role", e))?;
    if let Some(hash) = password_hash {
        user = state
            .db(
                "user.password",
                state.store.set_password(id, &hash, None, "user.password_reset", &staff.actor()),
            )
            .await?;
    }
    tracing::info!(user_id = %id, role = %user.role, by = %staff.user.id, "staff account changed");
    Ok(ApiJson(user))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ChangePassword {
    pub current_password: String,
    /// At least 12 characters.
    pub new_password: String,
}

/// Change your own password (needs the current one). Your other sign-ins end; this one stays.
#[utoipa::path(post, path = "/api/me/password", request_body = ChangePassword, tag = "auth",
    responses((status = 204), (status = 403, body = crate::error::ErrorBody)))]
pub async fn change_own_password(
    State(state): State<AppState>,
    staff: Can<can::OwnAccount>,
    ApiJson(req): ApiJson<ChangePassword>,
) -> ApiResult<StatusCode> {
    let stored = state.db("user.password", state.store.password_hash(staff.user.id)).await?;
    let current = req.current_password;
    // On the bounded password pool, like a sign-in: a stolen cookie cannot flood Argon2.
    let busy = |_| ApiError::Busy { retry_after_secs: 1 };
    let matches = state
        .passwords
        .submit(Lane::Shared, move || verify_password(&current, &stored))
        .map_err(busy)?
        .await
        .map_err(busy)?;
    if !matches {
        return Err(ApiError::field_refused("current_password", "that is not your current password"));
    }
    let hash = new_password_hash("new_password", &req.new_password).await?;
    state
        .db(
            "user.password",
            state.store.set_password(
                staff.user.id,
                &hash,
                Some(&staff.token_hash),
                "user.password_change",
                &staff.actor(),
            ),
        )
        .await?;
    tracing::info!(user_id = %staff.user.id, "password changed");
    Ok(StatusCode::NO_CONTENT)
}
