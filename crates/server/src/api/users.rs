//! Staff accounts, managed by admins.

use crate::auth::{hash_password, policy, Staff};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use curbside_domain::{Role, StaffUser, TextLimit};
use curbside_store::NewUser;
use serde::{Deserialize, Serialize};

/// Staff accounts.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/users", post(create).get(list))
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

/// Checks and hashes a new account; shared by the API and `curbside user add`.
pub async fn new_user(
    email: &str,
    name: &str,
    role: Role,
    credentials: &str,
    password: &str,
) -> ApiResult<NewUser> {
    let email = email.trim();
    if !email.contains('@') || email.len() > 254 || email.chars().any(char::is_whitespace) {
        return Err(ApiError::Unprocessable(format!("{email:?} is not an email address")));
    }
    if password.chars().count() < 12 {
        return Err(ApiError::Unprocessable("the password must be at least 12 characters long".into()));
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
    staff: Staff,
    ApiJson(req): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, ApiJson<StaffUser>)> {
    staff.require(policy::MANAGE_STAFF)?;
    let new = new_user(&req.email, &req.name, req.role, &req.credentials, &req.password).await?;
    let user = state.db("user.create", state.store.create_user(new)).await?;
    Ok((StatusCode::CREATED, ApiJson(user)))
}

/// Every active staff account.
#[utoipa::path(get, path = "/api/users", tag = "staff", responses((status = 200, body = UserList)))]
pub async fn list(State(state): State<AppState>, staff: Staff) -> ApiResult<ApiJson<UserList>> {
    staff.require(policy::MANAGE_STAFF)?;
    Ok(ApiJson(UserList { users: state.db("user.list", state.store.list_users()).await? }))
}
