//! Configuration from the environment (flags mirror it). Everything is checked up front so a
//! bad value stops the process with one line saying what is wrong and how to fix it.

use crate::client::{ProxyHeader, TrustedProxies};
use anyhow::{bail, Context};
use std::net::SocketAddr;
use std::time::Duration;

/// The contract's defaults, shared by the flags, `Settings::defaults` and the other commands.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://curbside.db";
pub const DEFAULT_GRAPH_URL: &str = "https://graph.facebook.com";
const DEFAULT_REPLY_CAP: &str = "25";
const DEFAULT_POLL_INTERVAL_MS: &str = "3000";
pub const DEFAULT_RETENTION_DAYS: &str = "30";
const DEFAULT_MAX_PUBLIC_CONNECTIONS: &str = "20000";
const DEFAULT_MAX_STAFF_CONNECTIONS: &str = "500";
const DEFAULT_WRITE_TIMEOUT_MS: &str = "10000";
const DEFAULT_SIGNIN_QUEUE: &str = "16";
const DEFAULT_POLL_LEASE_MS: &str = "6000";
const DEFAULT_OUTBOX_LEASE_MS: &str = "40000";
pub const DEFAULT_LOG: &str = "info";
pub const DEFAULT_LOG_FORMAT: &str = "human";
/// The US default crisis reply: resources first, warm, asks nothing identifying.
pub const DEFAULT_CRISIS_REPLY: &str = "If this is an emergency, call 911 or go to the nearest emergency \
     department now. If you are struggling, you're not alone: call or text 988 (Suicide & Crisis Lifeline) any time.";

#[derive(Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub database_url: String,
    /// Base for links in replies, overlays and exports, without a trailing slash.
    pub public_url: String,
    pub meta_app_secret: Option<String>,
    pub meta_verify_token: Option<String>,
    pub graph_url: String,
    pub admin: Option<(String, String)>,
    /// At most this many askers of one question get a platform reply.
    pub reply_cap: usize,
    /// The usual pause between polling rounds of a live source.
    pub poll_interval: Duration,
    /// Seals platform tokens at rest (`CURBSIDE_SECRET_KEY`); see `crate::secrets` when absent.
    pub secret_key: Option<curbside_store::SecretKey>,
    /// Where the key lives without `secret_key` (`CURBSIDE_SECRET_KEY_FILE`); `None`: the default.
    pub secret_key_file: Option<std::path::PathBuf>,
    /// Raw comments and commenter identities older than this are purged.
    pub retention_days: u32,
    /// Reverse proxies whose forwarding header names the client (see `client.rs`).
    pub trusted_proxies: TrustedProxies,
    /// Anonymous realtime connections (public WebSocket and SSE together).
    pub max_public_connections: usize,
    /// Signed-in staff WebSocket connections: a budget viewers cannot use up.
    pub max_staff_connections: usize,
    /// A connection whose socket accepts no bytes for this long is closed (slow readers).
    pub write_timeout: Duration,
    /// Threads checking passwords at once (each Argon2 check holds 19 MiB).
    pub signin_workers: usize,
    /// Sign-ins that may wait for a worker; beyond that the answer is 429 at once.
    pub signin_queue: usize,
    /// The detectors every incoming comment goes through, with the organisation's myth list and
    /// blocked words.
    pub screener: curbside_screening::Screener,
    /// The one-click reply to an emergency or crisis comment (`CURBSIDE_CRISIS_REPLY`).
    pub crisis_reply: String,
    /// The one-click reply to a personal-advice question (`CURBSIDE_REDIRECT_REPLY`).
    pub redirect_reply: String,
    /// This node's name in polling and outbox leases (`CURBSIDE_NODE_ID`): unique per process.
    pub node_id: String,
    /// How long a polling lease lasts unrenewed: a dead node's sources move within about this.
    pub poll_lease: Duration,
    /// How long an outbox claim lasts; platform calls are cut off at half of it.
    pub outbox_lease: Duration,
}

impl std::fmt::Debug for Config {
    /// Secrets stay out of debug output and logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("public_url", &self.public_url)
            .field("graph_url", &self.graph_url)
            .field("meta_app_secret", &self.meta_app_secret.as_ref().map(|_| "***"))
            .field("trusted_proxies", &self.trusted_proxies)
            .finish_non_exhaustive()
    }
}

/// The raw settings, before checking. Filled from `CURBSIDE_*` variables by clap; every
/// variable has a `--flag` twin on `curbside serve`.
#[derive(Clone, Default, clap::Args)]
pub struct Settings {
    /// Listen address.
    #[arg(long, env = "CURBSIDE_BIND", default_value = DEFAULT_BIND)]
    pub bind: String,
    /// `sqlite://path.db` (created if missing) or `postgres://user:pass@host/db`.
    #[arg(long, env = "CURBSIDE_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, hide_env_values = true)]
    pub database_url: String,
    /// Base URL for links in replies, overlays and exports (default `http://{bind}`).
    #[arg(long, env = "CURBSIDE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Meta app secret: verifies webhooks and signs Graph calls (without it webhooks are refused).
    #[arg(long, env = "CURBSIDE_META_APP_SECRET", hide_env_values = true)]
    pub meta_app_secret: Option<String>,
    /// The verify token typed into Meta's webhook settings.
    #[arg(long, env = "CURBSIDE_META_VERIFY_TOKEN", hide_env_values = true)]
    pub meta_verify_token: Option<String>,
    /// Graph API base URL (tests and the demo point it at loopback).
    #[arg(long, env = "CURBSIDE_GRAPH_URL", default_value = DEFAULT_GRAPH_URL)]
    pub graph_url: String,
    /// Email of the first admin, created when no staff account exists.
    #[arg(long, env = "CURBSIDE_ADMIN_EMAIL")]
    pub admin_email: Option<String>,
    /// Password of the first admin (at least 12 characters).
    #[arg(long, env = "CURBSIDE_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// At most this many askers of one (merged) question get a platform reply.
    #[arg(long, env = "CURBSIDE_REPLY_CAP", default_value = DEFAULT_REPLY_CAP)]
    pub reply_cap: String,
    /// Milliseconds between polling rounds of a live source (adaptive above this).
    #[arg(long, env = "CURBSIDE_POLL_INTERVAL_MS", default_value = DEFAULT_POLL_INTERVAL_MS)]
    pub poll_interval_ms: String,
    /// 32 bytes in base64 (`curbside secrets generate`): seals platform access tokens at rest.
    /// Without it the key lives in CURBSIDE_SECRET_KEY_FILE.
    #[arg(long, env = "CURBSIDE_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// The key file used without CURBSIDE_SECRET_KEY, created on first start. Default: next to a
    /// SQLite database (`curbside.db.key`); `curbside-secret.key` in the working directory for
    /// PostgreSQL.
    #[arg(long, env = "CURBSIDE_SECRET_KEY_FILE")]
    pub secret_key_file: Option<String>,
    /// Days after which raw comments and commenter identities are purged (1 to 3650); the public
    /// transcript stays.
    #[arg(long, env = "CURBSIDE_RETENTION_DAYS", default_value = DEFAULT_RETENTION_DAYS)]
    pub retention_days: String,
    /// Reverse proxies (addresses or CIDR ranges, comma-separated) whose forwarding header
    /// names the client. Empty: the TCP peer is the client and forwarding headers are ignored.
    #[arg(long, env = "CURBSIDE_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// The header the trusted proxies write: `x-forwarded-for` or `forwarded` (RFC 7239).
    #[arg(long, env = "CURBSIDE_TRUSTED_PROXY_HEADER", default_value = "x-forwarded-for")]
    pub trusted_proxy_header: String,
    /// Anonymous realtime connections at once (public WebSocket and SSE together).
    #[arg(long, env = "CURBSIDE_MAX_PUBLIC_CONNECTIONS", default_value = DEFAULT_MAX_PUBLIC_CONNECTIONS)]
    pub max_public_connections: String,
    /// Signed-in staff WebSocket connections at once, kept apart from the public budget.
    #[arg(long, env = "CURBSIDE_MAX_STAFF_CONNECTIONS", default_value = DEFAULT_MAX_STAFF_CONNECTIONS)]
    pub max_staff_connections: String,
    /// Milliseconds a connection may accept no bytes before it is closed (stalled readers).
    #[arg(long, env = "CURBSIDE_WRITE_TIMEOUT_MS", default_value = DEFAULT_WRITE_TIMEOUT_MS)]
    pub write_timeout_ms: String,
    /// Password checks run at once (each takes 19 MiB); default one per core, at most 4.
    #[arg(long, env = "CURBSIDE_SIGNIN_WORKERS")]
    pub signin_workers: Option<String>,
    /// Sign-ins that may wait for a password check; beyond that 429 with Retry-After at once.
    #[arg(long, env = "CURBSIDE_SIGNIN_QUEUE", default_value = DEFAULT_SIGNIN_QUEUE)]
    pub signin_queue: String,
    /// Log filter, e.g. `info,curbside_hub=debug`.
    #[arg(long, env = "CURBSIDE_LOG", default_value = DEFAULT_LOG)]
    pub log: String,
    /// Log format: `human` or `json` (for log shippers).
    #[arg(long, env = "CURBSIDE_LOG_FORMAT", default_value = DEFAULT_LOG_FORMAT)]
    pub log_format: String,
    /// A JSON file of health myths added to (or, with `"disabled": true`, removed from) the
    /// built-in list; see docs/safety.md.
    #[arg(long, env = "CURBSIDE_MYTHS_FILE")]
    pub myths_file: Option<String>,
    /// Comma-separated words or phrases that mark a comment as spam or abuse.
    #[arg(long, env = "CURBSIDE_BLOCKED_WORDS")]
    pub blocked_words: Option<String>,
    /// The crisis reply sent with one click to an emergency comment (US default: 911 and 988).
    #[arg(long, env = "CURBSIDE_CRISIS_REPLY")]
    pub crisis_reply: Option<String>,
    /// The reply sent with one click to a personal-advice question.
    #[arg(long, env = "CURBSIDE_REDIRECT_REPLY")]
    pub redirect_reply: Option<String>,
    /// This node's name in polling and outbox leases; must differ between running nodes
    /// (default: host name, process id and a random suffix).
    #[arg(long, env = "CURBSIDE_NODE_ID")]
    pub node_id: Option<String>,
    /// Milliseconds a polling lease lasts unrenewed: a dead node's sources move to another node
    /// within about this (500 to 60000).
    #[arg(long, env = "CURBSIDE_POLL_LEASE_MS", default_value = DEFAULT_POLL_LEASE_MS)]
    pub poll_lease_ms: String,
    /// Milliseconds an outbox claim lasts before another node may reconcile it; each platform
    /// call is cut off at half of it (2000 to 600000).
    #[arg(long, env = "CURBSIDE_OUTBOX_LEASE_MS", default_value = DEFAULT_OUTBOX_LEASE_MS)]
    pub outbox_lease_ms: String,
}

impl std::fmt::Debug for Settings {
    /// Secrets and tokens stay out of debug output and logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |v: &Option<String>| v.as_ref().map(|_| "***");
        f.debug_struct("Settings")
            .field("bind", &self.bind)
            .field("database_url", &redact_password(&self.database_url))
            .field("public_url", &self.public_url)
            .field("meta_app_secret", &hidden(&self.meta_app_secret))
            .field("meta_verify_token", &hidden(&self.meta_verify_token))
            .field("graph_url", &self.graph_url)
            .field("admin_email", &self.admin_email)
            .field("admin_password", &hidden(&self.admin_password))
            .field("secret_key", &hidden(&self.secret_key))
            .field("trusted_proxies", &self.trusted_proxies)
            .finish_non_exhaustive()
    }
}

/// `postgres://user:secret@host/db` without the password.
fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// How logs are written (`CURBSIDE_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

impl LogFormat {
    pub fn parse(raw: &str) -> anyhow::Result<LogFormat> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "human" | "" => Ok(LogFormat::Human),
            "json" => Ok(LogFormat::Json),
            _ => bail!("CURBSIDE_LOG_FORMAT must be human or json (got {raw:?})"),
        }
    }
}

impl Settings {
    /// Settings with every default, for tests and the demo.
    pub fn defaults() -> Settings {
        Settings {
            bind: DEFAULT_BIND.into(),
            database_url: DEFAULT_DATABASE_URL.into(),
            graph_url: DEFAULT_GRAPH_URL.into(),
            reply_cap: DEFAULT_REPLY_CAP.into(),
            poll_interval_ms: DEFAULT_POLL_INTERVAL_MS.into(),
            retention_days: DEFAULT_RETENTION_DAYS.into(),
            trusted_proxy_header: "x-forwarded-for".into(),
            max_public_connections: DEFAULT_MAX_PUBLIC_CONNECTIONS.into(),
            max_staff_connections: DEFAULT_MAX_STAFF_CONNECTIONS.into(),
            write_timeout_ms: DEFAULT_WRITE_TIMEOUT_MS.into(),
            signin_queue: DEFAULT_SIGNIN_QUEUE.into(),
            poll_lease_ms: DEFAULT_POLL_LEASE_MS.into(),
            outbox_lease_ms: DEFAULT_OUTBOX_LEASE_MS.into(),
            log: DEFAULT_LOG.into(),
            log_format: DEFAULT_LOG_FORMAT.into(),
            ..Settings::default()
        }
    }

    pub fn check(self) -> anyhow::Result<Config> {
        let bind: SocketAddr = self.bind.parse().with_context(|| {
            format!("CURBSIDE_BIND {:?} is not an address like 127.0.0.1:8080", self.bind)
        })?;
        let db = self.database_url.trim().to_owned();
        if !(db.starts_with("sqlite:") || db.starts_with("postgres://") || db.starts_with("postgresql://")) {
            bail!(
                "CURBSIDE_DATABASE_URL must start with sqlite:// or postgres:// (got {:?})",
                db.split('@').next_back().unwrap_or_default()
            );
        }
        let public_url = match self.public_url.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(u) => check_http_url("CURBSIDE_PUBLIC_URL", u)?,
            None => format!("http://{bind}"),
        };
        let graph_url = check_http_url("CURBSIDE_GRAPH_URL", self.graph_url.trim())?;
        let nonempty = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let admin = match (nonempty(self.admin_email), nonempty(self.admin_password)) {
            (Some(e), Some(p)) => {
                if p.chars().count() < 12 {
                    bail!("CURBSIDE_ADMIN_PASSWORD must be at least 12 characters long");
                }
                Some((e, p))
            }
            (None, None) => None,
            _ => bail!("set both CURBSIDE_ADMIN_EMAIL and CURBSIDE_ADMIN_PASSWORD, or neither"),
        };
        Ok(Config {
            bind,
            database_url: db,
            public_url,
            meta_app_secret: nonempty(self.meta_app_secret),
            meta_verify_token: nonempty(self.meta_verify_token),
            graph_url,
            admin,
            reply_cap: whole_number("CURBSIDE_REPLY_CAP", &self.reply_cap)?,
            poll_interval: Duration::from_millis(
                whole_number("CURBSIDE_POLL_INTERVAL_MS", &self.poll_interval_ms)?.clamp(200, 60_000) as u64,
            ),
            secret_key: secret_key("CURBSIDE_SECRET_KEY", self.secret_key.as_deref())?,
            secret_key_file: nonempty(self.secret_key_file).map(std::path::PathBuf::from),
            retention_days: retention_days(&self.retention_days)?,
            trusted_proxies: TrustedProxies::parse(
                &self.trusted_proxies,
                ProxyHeader::parse(&self.trusted_proxy_header).with_context(|| {
                    format!(
                        "CURBSIDE_TRUSTED_PROXY_HEADER must be one of {} (got {:?})",
                        ProxyHeader::ALLOWED,
                        self.trusted_proxy_header
                    )
                })?,
            )
            .map_err(|e| anyhow::anyhow!("CURBSIDE_TRUSTED_PROXIES: {e}"))?,
            max_public_connections: positive(
                "CURBSIDE_MAX_PUBLIC_CONNECTIONS",
                &self.max_public_connections,
            )?,
            max_staff_connections: positive("CURBSIDE_MAX_STAFF_CONNECTIONS", &self.max_staff_connections)?,
            write_timeout: Duration::from_millis(
                positive("CURBSIDE_WRITE_TIMEOUT_MS", &self.write_timeout_ms)?.max(100) as u64,
            ),
            signin_workers: match self.signin_workers.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(n) => positive("CURBSIDE_SIGNIN_WORKERS", n)?,
                None => crate::signin::PasswordPool::default_workers(),
            },
            signin_queue: whole_number("CURBSIDE_SIGNIN_QUEUE", &self.signin_queue)?,
            screener: screener(self.myths_file.as_deref(), self.blocked_words.as_deref())?,
            crisis_reply: nonempty(self.crisis_reply).unwrap_or_else(|| DEFAULT_CRISIS_REPLY.to_owned()),
            redirect_reply: nonempty(self.redirect_reply)
                .unwrap_or_else(|| curbside_screening::advice::REDIRECT_REPLY.to_owned()),
            node_id: nonempty(self.node_id).unwrap_or_else(default_node_id),
            poll_lease: millis_between("CURBSIDE_POLL_LEASE_MS", &self.poll_lease_ms, 500, 60_000)?,
            outbox_lease: millis_between("CURBSIDE_OUTBOX_LEASE_MS", &self.outbox_lease_ms, 2_000, 600_000)?,
        })
    }
}

/// The screener from the optional myth file and blocked-word list.
fn screener(myths_file: Option<&str>, blocked: Option<&str>) -> anyhow::Result<curbside_screening::Screener> {
    use curbside_screening::{MythList, Screener, SpamRules};
    let mut myths = MythList::builtin();
    if let Some(path) = myths_file.map(str::trim).filter(|p| !p.is_empty()) {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("CURBSIDE_MYTHS_FILE {path:?} cannot be read"))?;
        let org = MythList::parse(&text).map_err(|e| anyhow::anyhow!("CURBSIDE_MYTHS_FILE {path:?}: {e}"))?;
        myths = myths.extended(org);
    }
    let words = blocked.unwrap_or_default().split(',').map(str::to_owned);
    Ok(Screener::new(myths, SpamRules::new(words)))
}

/// A duration in milliseconds that must lie in `min..=max`.
fn millis_between(name: &str, raw: &str, min: usize, max: usize) -> anyhow::Result<Duration> {
    let ms = whole_number(name, raw)?;
    if !(min..=max).contains(&ms) {
        bail!("{name} must be between {min} and {max} (got {ms})");
    }
    Ok(Duration::from_millis(ms as u64))
}

/// A node name unique among running nodes: the host, the process and a random suffix (a restarted
/// process is a new node; its old leases simply run out).
fn default_node_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "curbside".into());
    format!("{host}-{}-{:04x}", std::process::id(), rand::random::<u16>())
}

fn whole_number(name: &str, raw: &str) -> anyhow::Result<usize> {
    raw.trim().parse().with_context(|| format!("{name} must be a whole number (got {raw:?})"))
}

/// A key setting: absent or empty means none; anything else must be a valid key.
pub fn secret_key(name: &str, raw: Option<&str>) -> anyhow::Result<Option<curbside_store::SecretKey>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(text) => {
            curbside_store::SecretKey::parse(text).map(Some).map_err(|e| anyhow::anyhow!("{name} {e}"))
        }
    }
}

pub fn retention_days(raw: &str) -> anyhow::Result<u32> {
    match whole_number("CURBSIDE_RETENTION_DAYS", raw)? {
        n @ 1..=3650 => Ok(n as u32),
        n => bail!("CURBSIDE_RETENTION_DAYS must be between 1 and 3650 days (got {n})"),
    }
}

fn positive(name: &str, raw: &str) -> anyhow::Result<usize> {
    match whole_number(name, raw)? {
        0 => bail!("{name} must be at least 1 (got {raw:?})"),
        n => Ok(n),
    }
}

fn check_http_url(name: &str, raw: &str) -> anyhow::Result<String> {
    let url = url::Url::parse(raw).with_context(|| format!("{name} {raw:?} is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        bail!("{name} must be an http:// or https:// URL with a host (got {raw:?})");
    }
    Ok(raw.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let c = Settings::defaults().check().unwrap();
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
    }

    #[test]
    fn bad_values_say_which_variable() {
        let mut s = Settings::defaults();
        s.bind = "nowhere".into();
        assert!(s.check().unwrap_err().to_string().starts_with("CURBSIDE_BIND"));
        let mut s = Settings::defaults();
        s.database_url = "mysql://x".into();
        assert!(s.check().unwrap_err().to_string().starts_with("CURBSIDE_DATABASE_URL"));
        let mut s = Settings::defaults();
        s.admin_email = Some("a@b.c".into());
        assert!(s.check().unwrap_err().to_string().contains("both"));
        let mut s = Settings::defaults();
        s.myths_file = Some("/nonexistent/myths.json".into());
        assert!(s.check().unwrap_err().to_string().starts_with("CURBSIDE_MYTHS_FILE"));
        let mut s = Settings::defaults();
        s.reply_cap = "abc".into();
        assert_eq!(
            s.check().unwrap_err().to_string(),
            "CURBSIDE_REPLY_CAP must be a whole number (got \"abc\")"
        );
        let mut s = Settings::defaults();
        s.public_url = Some("ftp://x".into());
        assert!(s.check().unwrap_err().to_string().starts_with("CURBSIDE_PUBLIC_URL"));
        let mut s = Settings::defaults();
        s.secret_key = Some("c2hvcnQ=".into());
        assert_eq!(
            s.check().unwrap_err().to_string(),
            "CURBSIDE_SECRET_KEY must be 32 bytes in base64, got 5 bytes (generate one with `curbside secrets generate`)"
        );
        let mut s = Settings::defaults();
        s.retention_days = "0".into();
        assert_eq!(
            s.check().unwrap_err().to_string(),
            "CURBSIDE_RETENTION_DAYS must be between 1 and 3650 days (got 0)"
        );
        let mut s = Settings::defaults();
        s.trusted_proxies = "10.0.0.0/8, proxy".into();
        assert!(s.check().unwrap_err().to_string().starts_with("CURBSIDE_TRUSTED_PROXIES"));
        let mut s = Settings::defaults();
        s.max_staff_connections = "0".into();
        assert!(s.check().unwrap_err().to_string().starts_with("CURBSIDE_MAX_STAFF_CONNECTIONS"));
        assert_eq!(
            LogFormat::parse("jsn").unwrap_err().to_string(),
            "CURBSIDE_LOG_FORMAT must be human or json (got \"jsn\")"
        );
    }

    #[test]
    fn debug_output_hides_secrets() {
        let mut s = Settings::defaults();
        s.meta_app_secret = Some("app-secret-value".into());
        s.meta_verify_token = Some("verify-token-value".into());
        s.admin_email = Some("admin@example.org".into());
        s.admin_password = Some("admin-password-value".into());
        s.database_url = "postgres://curbside:db-password-value@db.local/curbside".into();
        let shown = format!("{s:?} {:?}", s.clone().check().expect("valid"));
        for secret in ["app-secret-value", "verify-token-value", "admin-password-value", "db-password-value"]
        {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
    }
}
