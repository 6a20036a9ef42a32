//! Configuration from the environment (flags mirror it). Everything is checked up front so a
//! bad value stops the process with one line saying what is wrong and how to fix it.

use anyhow::{bail, Context};
use std::net::SocketAddr;

/// The contract's defaults, shared by the flags, `Settings::defaults` and the other commands.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://curbside.db";
pub const DEFAULT_GRAPH_URL: &str = "https://graph.facebook.com";
const DEFAULT_REPLY_CAP: &str = "25";
const DEFAULT_POLL_INTERVAL_MS: &str = "3000";
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
    pub poll_interval: std::time::Duration,
    /// The detectors every incoming comment goes through, with the organisation's myth list and
    /// blocked words.
    pub screener: curbside_screening::Screener,
    /// The one-click reply to an emergency or crisis comment (`CURBSIDE_CRISIS_REPLY`).
    pub crisis_reply: String,
    /// The one-click reply to a personal-advice question (`CURBSIDE_REDIRECT_REPLY`).
    pub redirect_reply: String,
}

impl std::fmt::Debug for Config {
    /// Secrets stay out of debug output and logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("public_url", &self.public_url)
            .field("graph_url", &self.graph_url)
            .field("meta_app_secret", &self.meta_app_secret.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

/// The raw settings, before checking. Filled from `CURBSIDE_*` variables by clap.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Settings {
    /// Listen address.
    #[arg(long, env = "CURBSIDE_BIND", default_value = DEFAULT_BIND)]
    pub bind: String,
    /// `sqlite://path.db` (created if missing) or `postgres://user@host/db`.
    #[arg(long, env = "CURBSIDE_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// Base URL for links in replies, overlays and exports (default `http://{bind}`).
    #[arg(long, env = "CURBSIDE_PUBLIC_URL")]
    pub public_url: Option<String>,
    #[arg(long, env = "CURBSIDE_META_APP_SECRET", hide_env_values = true)]
    pub meta_app_secret: Option<String>,
    #[arg(long, env = "CURBSIDE_META_VERIFY_TOKEN", hide_env_values = true)]
    pub meta_verify_token: Option<String>,
    #[arg(long, env = "CURBSIDE_GRAPH_URL", default_value = DEFAULT_GRAPH_URL)]
    pub graph_url: String,
    #[arg(long, env = "CURBSIDE_ADMIN_EMAIL")]
    pub admin_email: Option<String>,
    #[arg(long, env = "CURBSIDE_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// At most this many askers of one (merged) question get a platform reply.
    #[arg(long, env = "CURBSIDE_REPLY_CAP", default_value = DEFAULT_REPLY_CAP)]
    pub reply_cap: String,
    /// Milliseconds between polling rounds of a live source (adaptive above this).
    #[arg(long, env = "CURBSIDE_POLL_INTERVAL_MS", default_value = DEFAULT_POLL_INTERVAL_MS)]
    pub poll_interval_ms: String,
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
            poll_interval: std::time::Duration::from_millis(
                whole_number("CURBSIDE_POLL_INTERVAL_MS", &self.poll_interval_ms)?.clamp(200, 60_000) as u64,
            ),
            screener: screener(self.myths_file.as_deref(), self.blocked_words.as_deref())?,
            crisis_reply: nonempty(self.crisis_reply).unwrap_or_else(|| DEFAULT_CRISIS_REPLY.to_owned()),
            redirect_reply: nonempty(self.redirect_reply)
                .unwrap_or_else(|| curbside_screening::advice::REDIRECT_REPLY.to_owned()),
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

fn whole_number(name: &str, raw: &str) -> anyhow::Result<usize> {
    raw.trim().parse().with_context(|| format!("{name} must be a whole number (got {raw:?})"))
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
    }
}
