//! Staff accounts and sign-ins. Passwords arrive here already hashed (argon2id, in the server);
//! sign-in tokens are stored only as hashes, so a leaked table grants nothing.

use crate::audit::audit_change;
use crate::{now_millis, Actor, Result, Store, StoreError};
use curbside_domain::{Role, StaffUser, UserId};
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub credentials: String,
    pub password_hash: String,
}

/// A change to an account; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
}

/// An account as the audit log records it: no password hash, ever.
fn account_json(user: &StaffUser, active: bool) -> Value {
    serde_json::json!({"user_id": user.id, "email": user.email, "name": user.name, "role": user.role, "active": active})
}

/// A stored sign-in, found by its token hash.
#[derive(Debug, Clone)]
pub struct Login {
    pub user: StaffUser,
    pub csrf_hash: String,
    pub expires_at: i64,
}

const USER_COLUMNS: &str = "id, email, name, role, credentials";

fn user_from_row(r: &AnyRow) -> Result<StaffUser> {
    let role: String = r.try_get("role")?;
    Ok(StaffUser {
        id: UserId(r.try_get("id")?),
        email: r.try_get("email")?,
        name: r.try_get("name")?,
        role: Role::parse(&role).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        credentials: r.try_get("credentials")?,
    })
}

/// Emails compare case-insensitively: stored and looked up in lowercase.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

impl Store {
    /// Creates an account; audited as `user.create` (never with the password hash).
    pub async fn create_user(&self, new: NewUser, actor: &Actor) -> Result<StaffUser> {
        let mut tx = self.begin_write().await?;
        let user = insert_user(&mut tx, new, actor).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Creates `new` only if no staff account exists yet; `None` when one does. Several nodes
    /// starting at once on one PostgreSQL database all call this: a transaction-scoped advisory
    /// lock makes them take turns, so exactly one creates the account (whatever email each was
    /// given) and the others find it. SQLite has one writer connection, which serialises the same.
    pub async fn create_first_admin(&self, new: NewUser, actor: &Actor) -> Result<Option<StaffUser>> {
        let mut tx = self.begin_write().await?;
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(FIRST_ADMIN_LOCK).execute(&mut *tx).await?;
        }
        let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&mut *tx).await?;
        if existing > 0 {
            return Ok(None);
        }
        let user = insert_user(&mut tx, new, actor).await?;
        tx.commit().await?;
        Ok(Some(user))
    }

    /// Changes an account's role and/or disables or re-enables it; audited with before and
    /// after. Disabling signs the account out everywhere.
    pub async fn update_user(&self, id: UserId, change: UserChange, actor: &Actor) -> Result<StaffUser> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS}, disabled_at FROM users WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("staff account"))?;
        let before = user_from_row(&row)?;
        let was_active = row.try_get::<Option<i64>, _>("disabled_at")?.is_none();
        if actor.user_id == Some(id)
            && (change.disabled == Some(true) || change.role.is_some_and(|r| r != before.role))
        {
            return Err(StoreError::Conflict(
                "you cannot change your own role or disable your own account: ask another admin".into(),
            ));
        }
        let role = change.role.unwrap_or(before.role);
        let active = change.disabled.map(|d| !d).unwrap_or(was_active);
        sqlx::query("UPDATE users SET role = $1, disabled_at = $2 WHERE id = $3")
            .bind(role.as_str())
            .bind(if active { None } else { Some(now_millis()) })
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        if !active {
            sqlx::query("DELETE FROM logins WHERE user_id = $1").bind(id.0).execute(&mut *tx).await?;
        }
        let after = StaffUser { role, ..before.clone() };
        let action = match (role != before.role, active != was_active) {
            (true, _) => "user.role",
            (false, true) if active => "user.enable",
            (false, true) => "user.disable",
            (false, false) => "user.update",
        };
        audit_change(
            &mut tx,
            actor,
            action,
            None,
            None,
            account_json(&before, was_active),
            account_json(&after, active),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn user_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(self.read_pool()).await?)
    }

    pub async fn list_users(&self) -> Result<Vec<StaffUser>> {
        let rows =
            sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE disabled_at IS NULL ORDER BY id"))
                .fetch_all(self.read_pool())
                .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Disabled accounts, most recently disabled first, with when they were disabled.
    pub async fn list_disabled_users(&self) -> Result<Vec<(StaffUser, i64)>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, disabled_at FROM users WHERE disabled_at IS NOT NULL ORDER BY disabled_at DESC, id"
        ))
        .fetch_all(self.read_pool())
        .await?;
        rows.iter().map(|r| Ok((user_from_row(r)?, r.try_get("disabled_at")?))).collect()
    }

    /// The password hash of an active account (to check a current password).
    pub async fn password_hash(&self, id: UserId) -> Result<String> {
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1 AND disabled_at IS NULL")
            .bind(id.0)
            .fetch_optional(self.read_pool())
            .await?
            .ok_or(StoreError::NotFound("staff account"))
    }

    /// Replaces an account's password (already hashed) and ends its sign-ins, except the one
    /// whose token hash is `keep` (the person changing their own password stays signed in here).
    /// Audited as `user.password` (`action`), never with a hash.
    pub async fn set_password(
        &self,
        id: UserId,
        password_hash: &str,
        keep: Option<&str>,
        action: &str,
        actor: &Actor,
    ) -> Result<StaffUser> {
        let mut tx = self.begin_write().await?;
        let row =
            sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1 AND disabled_at IS NULL"))
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound("staff account"))?;
        let user = user_from_row(&row)?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM logins WHERE user_id = $1 AND token_hash <> $2")
            .bind(id.0)
            .bind(keep.unwrap_or(""))
            .execute(&mut *tx)
            .await?;
        audit_change(&mut tx, actor, action, None, None, Value::Null, account_json(&user, true)).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// The active account with this email and its password hash, for sign-in.
    pub async fn user_for_sign_in(&self, email: &str) -> Result<Option<(StaffUser, String)>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1 AND disabled_at IS NULL"
        ))
        .bind(normalise_email(email))
        .fetch_optional(self.read_pool())
        .await?;
        match row {
            Some(r) => Ok(Some((user_from_row(&r)?, r.try_get("password_hash")?))),
            None => Ok(None),
        }
    }

    pub async fn create_login(
        &self,
        user: UserId,
        token_hash: &str,
        csrf_hash: &str,
        expires_at: i64,
    ) -> Result<()> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        // Expired sign-ins are swept whenever someone signs in: no background job needed.
        sqlx::query("DELETE FROM logins WHERE expires_at < $1").bind(now).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO logins (token_hash, user_id, csrf_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user.0)
        .bind(csrf_hash)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The unexpired sign-in with this token hash, with its active account.
    pub async fn login(&self, token_hash: &str) -> Result<Option<Login>> {
        let row = sqlx::query(
            "SELECT u.id, u.email, u.name, u.role, u.credentials, l.csrf_hash, l.expires_at \
             FROM logins l JOIN users u ON u.id = l.user_id \
             WHERE l.token_hash = $1 AND l.expires_at > $2 AND u.disabled_at IS NULL",
        )
        .bind(token_hash)
        .bind(now_millis())
        .fetch_optional(self.read_pool())
        .await?;
        match row {
            Some(r) => Ok(Some(Login {
                user: user_from_row(&r)?,
                csrf_hash: r.try_get("csrf_hash")?,
                expires_at: r.try_get("expires_at")?,
            })),
            None => Ok(None),
        }
    }

    pub async fn delete_login(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM logins WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.write_pool())
            .await?;
        Ok(())
    }

    /// Ends every sign-in of one account ("sign out everywhere").
    pub async fn delete_logins_of(&self, user: UserId) -> Result<()> {
        sqlx::query("DELETE FROM logins WHERE user_id = $1").bind(user.0).execute(self.write_pool()).await?;
        Ok(())
    }
}

/// The advisory lock key (any constant of ours) that serialises first-admin creation.
const FIRST_ADMIN_LOCK: i64 = 0x6375_7262_0001;

async fn insert_user(conn: &mut sqlx::AnyConnection, new: NewUser, actor: &Actor) -> Result<StaffUser> {
    let email = normalise_email(&new.email);
    let row = sqlx::query(&format!(
        "INSERT INTO users (email, name, role, credentials, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (email) DO NOTHING RETURNING {USER_COLUMNS}"
    ))
    .bind(&email)
    .bind(&new.name)
    .bind(new.role.as_str())
    .bind(&new.credentials)
    .bind(&new.password_hash)
    .bind(now_millis())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Err(StoreError::Conflict(format!("a staff account with email {email} already exists")));
    };
    let user = user_from_row(&row)?;
    audit_change(conn, actor, "user.create", None, None, Value::Null, account_json(&user, true)).await?;
    Ok(user)
}
