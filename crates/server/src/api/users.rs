//! Staff accounts, managed by admins.

use crate::auth::{can, hash_password, Can};
use crate::error::ApiPath;
use crate::error::{ApiError, ApiJson, ApiResult};
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
    Router::new().route("/api/users", post(create).get(list)).route("/api/users/{id}", patch(update))
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
    pub users: Vec<StaffUser>,
}

/// Emails are at most this many characters.
pub const EMAIL_MAX: usize = 254;
/// Passwords are at least this many characters.
pub const PASSWORD_MIN: usize = 12;

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
        return Err(ApiError::Unprocessable(format!(
            "{email:?} is not an email address (one @, no spaces, at most {EMAIL_MAX} characters)"
        )));
    }
    if password.chars().count() < PASSWORD_MIN {
        return Err(ApiError::Unprocessable(format!(
            "the password must be at least {PASSWORD_MIN} characters long"
        )));
    }
    let name = TextLimit::NAME.required(name)?;
    let credentials = TextLimit::NAME.optional(Some(credentials))?.unwrap_or_default();
    let password = password.to_owned();
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(ApiError::Internal)?;
    Ok(NewUser { email: email.to_owned(), name, role, credentials, password_hash })
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
    let user = state.db("user.create", state.store.create_user(new, &staff.actor())).await?;
    Ok((StatusCode::CREATED, ApiJson(user)))
}

/// Every active staff account.
#[utoipa::path(get, path = "/api/users", tag = "staff", responses((status = 200, body = UserList)))]
pub async fn list(
    State(state): State<AppState>,
    _staff: Can<can::ManageStaff>,
) -> ApiResult<ApiJson<UserList>> {
    Ok(ApiJson(UserList { users: state.db("user.list", state.store.list_users()).await? }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct UpdateUser {
    pub role: Option<Role>,
    /// `true` disables the account and signs it out everywhere; `false` enables it again.
    pub disabled: Option<bool>,
}

/// Change a staff account's role, or disable or enable it. Audited with before and after.
#[utoipa::path(patch, path = "/api/users/{id}", request_body = UpdateUser, tag = "staff",
    params(("id" = i64, Path)), responses((status = 200, body = StaffUser), (status = 409, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    staff: Can<can::ManageStaff>,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(req): ApiJson<UpdateUser>,
) -> ApiResult<ApiJson<StaffUser>> {
    let change = UserChange { role: req.role, disabled: req.disabled };
    let user = state.db("user.update", state.store.update_user(id, change, &staff.actor())).await?;
    tracing::info!(user_id = %id, role = %user.role, by = %staff.user.id, "staff account changed");
    Ok(ApiJson(user))
}
