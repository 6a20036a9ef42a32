//! Where the key that seals platform tokens comes from, and `curbside secrets …`.
//!
//! `CURBSIDE_SECRET_KEY` (32 bytes, base64) wins. Without it the key lives in a file, created
//! with mode 0600 on first start so that the demo and a single node work with no setup:
//! `CURBSIDE_SECRET_KEY_FILE` if set, else next to a SQLite database (`curbside.db.key`), else
//! (PostgreSQL) `curbside-secret.key` in the working directory. Several nodes on one PostgreSQL
//! database must share one key; a node whose key does not open the tokens already stored refuses
//! to start (`check_key`), so a forgotten key never shows up later as failing replies.

use anyhow::{bail, Context};
use curbside_store::{Actor, SecretKey, Store};
use std::path::{Path, PathBuf};

/// Where the key in use came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    File(PathBuf),
    /// `sqlite::memory:`: a key for this process only (its database dies with it anyway).
    Ephemeral,
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Environment => f.write_str("CURBSIDE_SECRET_KEY"),
            KeySource::File(path) => write!(f, "the key file {}", path.display()),
            KeySource::Ephemeral => f.write_str("a key for this process only"),
        }
    }
}

/// The key file of a PostgreSQL deployment without `CURBSIDE_SECRET_KEY_FILE`.
pub const POSTGRES_KEY_FILE: &str = "curbside-secret.key";

/// The SQLite file behind a `sqlite:` URL, if it is a file.
fn sqlite_file(database_url: &str) -> Option<PathBuf> {
    let rest = database_url.strip_prefix("sqlite://").or_else(|| database_url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.contains(":memory:")).then(|| PathBuf::from(path))
}

/// The default key file: next to a SQLite database, in the working directory for PostgreSQL,
/// none for an in-memory database.
pub fn key_file_for(database_url: &str) -> Option<PathBuf> {
    if !database_url.starts_with("sqlite:") {
        return Some(PathBuf::from(POSTGRES_KEY_FILE));
    }
    sqlite_file(database_url).map(|p| {
        let mut name = p.as_os_str().to_owned();
        name.push(".key");
        PathBuf::from(name)
    })
}

/// Decides the key: the configured one, else the key file (`key_file`, or the default for the
/// database), created if missing.
pub fn resolve_key(
    configured: Option<SecretKey>,
    key_file: Option<&Path>,
    database_url: &str,
) -> anyhow::Result<(SecretKey, KeySource)> {
    if let Some(key) = configured {
        return Ok((key, KeySource::Environment));
    }
    let Some(path) = key_file.map(Path::to_path_buf).or_else(|| key_file_for(database_url)) else {
        return Ok((SecretKey::generate(), KeySource::Ephemeral));
    };
    if path.exists() {
        return Ok((read_key_file(&path)?, KeySource::File(path)));
    }
    let key = SecretKey::generate();
    match write_key_file(&path, &key, true) {
        Ok(()) => {}
        // Another process (a second node in the same folder) created it first: use theirs.
        Err(_) if path.exists() => return Ok((read_key_file(&path)?, KeySource::File(path))),
        Err(e) => return Err(e),
    }
    if database_url.starts_with("sqlite:") {
        tracing::warn!(path = %path.display(), "generated a key for platform tokens next to the database: back it up with the database, or set CURBSIDE_SECRET_KEY");
    } else {
        tracing::warn!(path = %path.display(), "generated a key for platform tokens: every node on this database needs the same key, so set CURBSIDE_SECRET_KEY to it (see the README, \"Secrets\") before starting another node");
    }
    Ok((key, KeySource::File(path)))
}

/// Refuses a key that cannot open the tokens already in the database: the node would start but
/// every reply and poll of those sources would fail.
pub async fn check_key(store: &Store, source: &KeySource) -> anyhow::Result<()> {
    if !store.secret_key_opens_stored_tokens().await? {
        bail!(
            "the platform tokens in this database were sealed with another key than {source}: \
             start every node with the key in use (CURBSIDE_SECRET_KEY or CURBSIDE_SECRET_KEY_FILE)"
        );
    }
    Ok(())
}

fn read_key_file(path: &Path) -> anyhow::Result<SecretKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the key file {}", path.display()))?;
    SecretKey::parse(&text).map_err(|e| anyhow::anyhow!("the key file {} {e}", path.display()))
}

/// Writes a key file readable by its owner only. `new` refuses to replace an existing file.
fn write_key_file(path: &Path, key: &SecretKey, new: bool) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if new {
        options.create_new(true);
    } else {
        options.create(true).truncate(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file =
        options.open(path).with_context(|| format!("cannot write the key file {}", path.display()))?;
    file.write_all(format!("{}\n", key.to_base64()).as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write the key file {}", path.display()))
}

/// `curbside secrets rotate`: re-seals every stored token under `new` in one transaction. With
/// a key file, the file is replaced only after the database commits (the new key waits in
/// `….key.new` meanwhile, so a crash between the two leaves both keys on disk).
pub async fn rotate(
    database_url: &str,
    configured: Option<SecretKey>,
    key_file: Option<&Path>,
    new: SecretKey,
) -> anyhow::Result<String> {
    let (old, source) = resolve_key(configured, key_file, database_url)?;
    if old == new {
        bail!("the new key is the key in use now");
    }
    let store = Store::connect(database_url)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database at CURBSIDE_DATABASE_URL: {e}"))?;
    let pending = match &source {
        KeySource::File(path) => {
            let mut p = path.as_os_str().to_owned();
            p.push(".new");
            let p = PathBuf::from(p);
            write_key_file(&p, &new, false)?;
            Some((p, path.clone()))
        }
        _ => None,
    };
    let result = store.rotate_secret_key(&old, &new, &Actor::system("curbside secrets rotate")).await;
    store.close().await;
    let count = match result {
        Ok(n) => n,
        Err(e) => {
            if let Some((p, _)) = &pending {
                let _ = std::fs::remove_file(p);
            }
            bail!("nothing was changed: {e}");
        }
    };
    Ok(match pending {
        Some((tmp, path)) => {
            std::fs::rename(&tmp, &path).with_context(|| {
                format!(
                    "tokens are sealed with the new key, which is in {}: move it to {}",
                    tmp.display(),
                    path.display()
                )
            })?;
            format!("re-encrypted {count} token(s); the key file {} now holds the new key", path.display())
        }
        None => format!(
            "re-encrypted {count} token(s); now set CURBSIDE_SECRET_KEY to the new key and restart every node"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_sit_next_to_sqlite_databases_only() {
        assert_eq!(key_file_for("sqlite://curbside.db"), Some(PathBuf::from("curbside.db.key")));
        assert_eq!(
            key_file_for("sqlite:///var/lib/c/x.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/c/x.db.key"))
        );
        assert_eq!(key_file_for("sqlite::memory:"), None);
        assert_eq!(key_file_for("postgres://db/x"), Some(PathBuf::from(POSTGRES_KEY_FILE)));
    }

    #[test]
    fn a_sqlite_deployment_gets_a_key_file_once_and_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("c.db").display());
        let (first, source) = resolve_key(None, None, &url).unwrap();
        let path = dir.path().join("c.db.key");
        assert_eq!(source, KeySource::File(path.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let (again, _) = resolve_key(None, None, &url).unwrap();
        assert_eq!(first, again);
        std::fs::write(&path, "garbage").unwrap();
        let err = resolve_key(None, None, &url).unwrap_err().to_string();
        assert!(err.starts_with("the key file") && err.contains("base64"), "{err}");
        let chosen = dir.path().join("pg.key");
        let (pg, source) = resolve_key(None, Some(&chosen), "postgres://db/x").unwrap();
        assert_eq!(source, KeySource::File(chosen.clone()));
        assert_eq!(resolve_key(None, Some(&chosen), "postgres://db/x").unwrap().0, pg);
        assert_eq!(resolve_key(None, None, "sqlite::memory:").unwrap().1, KeySource::Ephemeral);
    }
}
