//! Platform access tokens at rest: sealed with ChaCha20-Poly1305 (an AEAD) under the deployment's
//! secret key before they reach the database, opened only when a connector needs them. A dump
//! of the database alone reveals no token.
//!
//! Stored form: `v1:` + base64(12-byte random nonce ‖ ciphertext ‖ 16-byte tag). A value without
//! the prefix is a token stored before encryption existed; [`Store::seal_legacy_tokens`] seals
//! those at start.

use crate::{now_millis, Actor, Result, Store, StoreError};
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use sqlx::Row;

const PREFIX: &str = "v1:";
const NONCE_LEN: usize = 12;

/// The 32-byte key that seals platform tokens. Its `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretKeyError {
    #[error("is not base64 (generate one with `curbside secrets generate` or `openssl rand -base64 32`)")]
    NotBase64,
    #[error("must be 32 bytes in base64, got {0} bytes (generate one with `curbside secrets generate`)")]
    WrongLength(usize),
}

impl SecretKey {
    /// Parses 32 bytes in base64 (standard or URL-safe alphabet, padded or not).
    pub fn parse(text: &str) -> std::result::Result<SecretKey, SecretKeyError> {
        let text = text.trim();
        let unpadded = text.trim_end_matches('=');
        let bytes = STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE.decode(text))
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(unpadded))
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(unpadded))
            .map_err(|_| SecretKeyError::NotBase64)?;
        let key: [u8; 32] =
            bytes.as_slice().try_into().map_err(|_| SecretKeyError::WrongLength(bytes.len()))?;
        Ok(SecretKey(key))
    }

    /// A fresh random key from the operating system's generator.
    pub fn generate() -> SecretKey {
        SecretKey(rand::random())
    }

    /// The key in the form [`SecretKey::parse`] reads (standard base64, padded).
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(Key::from_slice(&self.0))
    }

    /// Seals `plaintext` under a fresh random nonce.
    pub fn seal(&self, plaintext: &str) -> Result<String> {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let sealed = self
            .cipher()
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .map_err(|_| StoreError::Corrupt("token encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", STANDARD.encode(out)))
    }

    /// Opens a value [`SecretKey::seal`] made; fails (without details) under another key.
    pub fn open(&self, stored: &str) -> Result<String> {
        let undecryptable = || {
            StoreError::Corrupt(
                "a stored platform token cannot be decrypted: CURBSIDE_SECRET_KEY is not the key it was sealed with".into(),
            )
        };
        let raw = stored.strip_prefix(PREFIX).ok_or_else(undecryptable)?;
        let bytes = STANDARD.decode(raw).map_err(|_| undecryptable())?;
        if bytes.len() < NONCE_LEN {
            return Err(undecryptable());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let plain = self.cipher().decrypt(Nonce::from_slice(nonce), sealed).map_err(|_| undecryptable())?;
        String::from_utf8(plain).map_err(|_| undecryptable())
    }
}

/// Whether a stored token value is sealed (rather than a plaintext row from before 0003).
pub(crate) fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

impl Store {
    /// What is stored for a platform access token: sealed under the configured key. Without a
    /// key, tokens are refused rather than stored in the clear.
    pub(crate) fn seal_token(&self, token: &str) -> Result<String> {
        match self.secret_key() {
            Some(key) => key.seal(token),
            None => Err(StoreError::Invalid(
                "platform tokens cannot be stored: this server has no CURBSIDE_SECRET_KEY (see the README, \"Secrets\")"
                    .into(),
            )),
        }
    }

    /// The token behind a stored value, for a connector's Graph call.
    pub(crate) fn open_token(&self, stored: &str) -> Result<String> {
        if !is_sealed(stored) {
            return Ok(stored.to_owned());
        }
        match self.secret_key() {
            Some(key) => key.open(stored),
            None => Err(StoreError::Corrupt(
                "stored platform tokens are encrypted and this server has no CURBSIDE_SECRET_KEY".into(),
            )),
        }
    }

    /// Whether the configured key opens a sealed token already stored (true when none is stored
    /// yet): a node started with another key than its peers would fail on every reply and poll.
    pub async fn secret_key_opens_stored_tokens(&self) -> Result<bool> {
        let Some(key) = self.secret_key() else { return Ok(true) };
        let stored: Option<String> = sqlx::query_scalar(
            "SELECT access_token FROM sources WHERE access_token LIKE 'v1:%' ORDER BY id LIMIT 1",
        )
        .fetch_optional(self.read_pool())
        .await?;
        Ok(stored.is_none_or(|s| key.open(&s).is_ok()))
    }

    /// Seals tokens stored in the clear (by a release before encryption at rest). Returns how
    /// many were sealed; none without a key.
    pub async fn seal_legacy_tokens(&self) -> Result<usize> {
        let Some(key) = self.secret_key() else { return Ok(0) };
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query("SELECT id, access_token FROM sources").fetch_all(&mut *tx).await?;
        let mut sealed = 0;
        for r in &rows {
            let token: String = r.try_get("access_token")?;
            if is_sealed(&token) {
                continue;
            }
            sqlx::query("UPDATE sources SET access_token = $1 WHERE id = $2")
                .bind(key.seal(&token)?)
                .bind(r.try_get::<i64, _>("id")?)
                .execute(&mut *tx)
                .await?;
            sealed += 1;
        }
        if sealed > 0 {
            crate::audit::audit(
                &mut tx,
                &Actor::system("start-up"),
                "secrets.seal_legacy",
                None,
                None,
                serde_json::json!({"tokens": sealed}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(sealed)
    }

    /// Re-seals every stored token from `old` to `new` in one transaction: either every token
    /// moves to the new key or none does. Returns how many tokens were re-sealed.
    pub async fn rotate_secret_key(&self, old: &SecretKey, new: &SecretKey, actor: &Actor) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        let rows =
            sqlx::query("SELECT id, access_token FROM sources ORDER BY id").fetch_all(&mut *tx).await?;
        for r in &rows {
            let stored: String = r.try_get("access_token")?;
            let token = if is_sealed(&stored) { old.open(&stored)? } else { stored };
            sqlx::query("UPDATE sources SET access_token = $1 WHERE id = $2")
                .bind(new.seal(&token)?)
                .bind(r.try_get::<i64, _>("id")?)
                .execute(&mut *tx)
                .await?;
        }
        crate::audit::audit(
            &mut tx,
            actor,
            "secrets.rotate",
            None,
            None,
            serde_json::json!({"tokens": rows.len(), "at": now_millis()}),
        )
        .await?;
        tx.commit().await?;
        Ok(rows.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_tokens_open_only_under_their_key() {
        let key = SecretKey::generate();
        let sealed = key.seal("EAAB-page-token").unwrap();
        assert!(sealed.starts_with("v1:") && !sealed.contains("EAAB"), "{sealed}");
        assert_ne!(sealed, key.seal("EAAB-page-token").unwrap(), "a fresh nonce every time");
        assert_eq!(key.open(&sealed).unwrap(), "EAAB-page-token");
        assert!(SecretKey::generate().open(&sealed).is_err());
        assert!(key.open("v1:!!").is_err());
        assert!(key.open("v1:").is_err());
    }

    #[test]
    fn keys_parse_from_base64_and_say_what_is_wrong() {
        let key = SecretKey::generate();
        assert_eq!(SecretKey::parse(&key.to_base64()).unwrap(), key);
        assert_eq!(SecretKey::parse(&format!("  {}\n", key.to_base64())).unwrap(), key);
        assert_eq!(SecretKey::parse("c2hvcnQ="), Err(SecretKeyError::WrongLength(5)));
        assert_eq!(SecretKey::parse("not base64 at all!"), Err(SecretKeyError::NotBase64));
        assert_eq!(format!("{key:?}"), "SecretKey(***)");
    }
}
