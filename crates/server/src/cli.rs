//! The command line: `serve`, `user add`. Errors end the process with one line on stderr and
//! a non-zero status, never a panic or a backtrace.

use crate::api::users::new_user;
use crate::config::{LogFormat, Settings, DEFAULT_LOG, DEFAULT_LOG_FORMAT};
use crate::Application;
use clap::{Parser, Subcommand};
use curbside_domain::Role;
use std::io::Read;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "curbside", version, about = "Live patient Q&A companion for hospital livestreams")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start: the size of the settings variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the hub: staff API, WebSocket, webhooks, public pages.
    Serve(Box<Settings>),
    /// Run the whole flow locally: the hub, a Meta simulator playing a scripted Q&A, staff accounts.
    Demo(crate::demo::DemoOptions),
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Purge raw comments and commenter identities older than the retention period (the public
    /// transcript stays). `serve` also does this hourly.
    Purge {
        /// Purge what is older than this many days.
        #[arg(long, env = "CURBSIDE_RETENTION_DAYS", default_value = crate::config::DEFAULT_RETENTION_DAYS)]
        older_than_days: String,
        #[arg(long, env = "CURBSIDE_DATABASE_URL", default_value = crate::config::DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// The key that encrypts platform access tokens at rest.
    Secrets {
        #[command(subcommand)]
        command: SecretsCommand,
    },
}

#[derive(Subcommand)]
enum SecretsCommand {
    /// Print a new random key (32 bytes, base64) for CURBSIDE_SECRET_KEY.
    Generate,
    /// Re-encrypt every stored token under a new key, in one transaction.
    Rotate {
        /// The key to move to (`curbside secrets generate`).
        #[arg(long, env = "CURBSIDE_NEW_SECRET_KEY", hide_env_values = true)]
        new_key: String,
        /// The key in use now (or the key file, see CURBSIDE_SECRET_KEY_FILE).
        #[arg(long, env = "CURBSIDE_SECRET_KEY", hide_env_values = true)]
        secret_key: Option<String>,
        /// The key file in use without CURBSIDE_SECRET_KEY; it then receives the new key.
        #[arg(long, env = "CURBSIDE_SECRET_KEY_FILE")]
        secret_key_file: Option<String>,
        #[arg(long, env = "CURBSIDE_DATABASE_URL", default_value = crate::config::DEFAULT_DATABASE_URL)]
        database_url: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a staff account; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Display name (shown with answers for specialists).
        #[arg(long, default_value = "")]
        name: String,
        /// Shown with the specialist's answers, e.g. "MD, Cardiology".
        #[arg(long, default_value = "")]
        credentials: String,
        /// Read the password from standard input (required, so it never shows in `ps`).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[arg(long, env = "CURBSIDE_DATABASE_URL", default_value = crate::config::DEFAULT_DATABASE_URL)]
        database_url: String,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).map_err(|e| e.to_string())
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let (filter, format) = match &cli.command {
        Command::Serve(settings) => (settings.log.clone(), settings.log_format.clone()),
        // The demo's terminal is for its status line: only warnings unless asked for more.
        Command::Demo(_) => {
            (env_or("CURBSIDE_LOG", "warn"), env_or("CURBSIDE_LOG_FORMAT", DEFAULT_LOG_FORMAT))
        }
        Command::User { .. } | Command::Purge { .. } | Command::Secrets { .. } => {
            (env_or("CURBSIDE_LOG", DEFAULT_LOG), env_or("CURBSIDE_LOG_FORMAT", DEFAULT_LOG_FORMAT))
        }
    };
    if let Err(e) = init_tracing(&filter, &format) {
        eprintln!("curbside: {e:#}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("curbside: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli, &mut std::io::stdin())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("curbside: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, stdin: &mut dyn Read) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(settings) => {
            let config = (*settings).check()?;
            let app = Application::build(config).await?;
            app.run(shutdown_signal()).await
        }
        Command::Demo(options) => crate::demo::run(options, shutdown_signal()).await,
        Command::Purge { older_than_days, database_url } => {
            let days = crate::config::retention_days(&older_than_days)?;
            let store = curbside_store::Store::connect(&database_url)
                .await
                .map_err(|e| anyhow::anyhow!("cannot open the database at CURBSIDE_DATABASE_URL: {e}"))?;
            let cutoff = crate::api::retention::retention_cutoff(days);
            let report = store.purge_before(cutoff, &curbside_store::Actor::system("curbside purge")).await;
            store.close().await;
            let r = report.map_err(|e| anyhow::anyhow!("nothing was purged: {e}"))?;
            println!(
                "purged {} comment(s) and the raw wording of {} question(s) older than {days} days ({} log entries rewritten)",
                r.comments, r.questions, r.events
            );
            Ok(())
        }
        Command::Secrets { command: SecretsCommand::Generate } => {
            println!("{}", curbside_store::SecretKey::generate().to_base64());
            Ok(())
        }
        Command::Secrets {
            command: SecretsCommand::Rotate { new_key, secret_key, secret_key_file, database_url },
        } => {
            let old = crate::config::secret_key("CURBSIDE_SECRET_KEY", secret_key.as_deref())?;
            let new = crate::config::secret_key("--new-key", Some(&new_key))?
                .ok_or_else(|| anyhow::anyhow!("--new-key must not be empty"))?;
            let key_file = secret_key_file.filter(|f| !f.is_empty()).map(std::path::PathBuf::from);
            println!("{}", crate::secrets::rotate(&database_url, old, key_file.as_deref(), new).await?);
            Ok(())
        }
        Command::User {
            command: UserCommand::Add { email, role, name, credentials, password_stdin: _, database_url },
        } => {
            let mut password = String::new();
            stdin.read_to_string(&mut password)?;
            let password = password.trim_end_matches(['\n', '\r']);
            let name = if name.trim().is_empty() {
                email.split('@').next().unwrap_or("staff").to_owned()
            } else {
                name
            };
            let store = curbside_store::Store::connect(&database_url)
                .await
                .map_err(|e| anyhow::anyhow!("cannot open the database at CURBSIDE_DATABASE_URL: {e}"))?;
            let new = new_user(&email, &name, role, &credentials, password)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let user = store
                .create_user(new, &curbside_store::Actor::system("curbside user add"))
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("added {} ({}) with id {}", user.email, user.role, user.id);
            store.close().await;
            Ok(())
        }
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty()).unwrap_or_else(|| default.to_owned())
}

/// Human-readable logs by default; `CURBSIDE_LOG_FORMAT=json` for log shippers. The filter is
/// `CURBSIDE_LOG` (e.g. `info,curbside_hub=debug`). Comment text is only ever logged at debug.
/// Colours only when stderr is a terminal, so files and journals get plain text.
fn init_tracing(filter: &str, format: &str) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let format = LogFormat::parse(format)?;
    let filter = EnvFilter::try_new(filter.trim()).map_err(|e| {
        anyhow::anyhow!("CURBSIDE_LOG {filter:?} is not a log filter like info,curbside_hub=debug: {e}")
    })?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Human => builder.init(),
    }
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// The `CURBSIDE_*` variables named in the README's configuration table.
    fn readme_variables() -> Vec<String> {
        let readme = include_str!("../../../README.md");
        let table = readme
            .split("## Configuration")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("README has a Configuration section");
        let mut names: Vec<String> = table
            .lines()
            .filter(|l| l.starts_with("| `CURBSIDE_"))
            .flat_map(|l| {
                l.split('|').nth(1).unwrap_or_default().split(',').map(str::to_owned).collect::<Vec<_>>()
            })
            .map(|cell| cell.trim().trim_matches('`').to_owned())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    #[test]
    fn every_documented_variable_has_a_serve_flag_with_help() {
        let cli = Cli::command();
        let serve = cli.find_subcommand("serve").expect("serve");
        let documented = readme_variables();
        assert!(documented.len() >= 15, "the README table was not found or is short: {documented:?}");
        for var in &documented {
            let arg = serve
                .get_arguments()
                .find(|a| a.get_env().is_some_and(|e| e.to_str() == Some(var.as_str())))
                .unwrap_or_else(|| panic!("{var} is in the README but has no --flag on `curbside serve`"));
            assert!(arg.get_long().is_some(), "{var} has no --flag");
            assert!(
                arg.get_help().is_some_and(|h| !h.to_string().is_empty()),
                "{var}'s flag has no help text"
            );
        }
        // And the other way round: no undocumented variable.
        for arg in serve.get_arguments() {
            if let Some(env) = arg.get_env().and_then(|e| e.to_str()) {
                assert!(
                    documented.iter().any(|d| d == env),
                    "{env} is a flag but missing from the README table"
                );
            }
        }
    }

    /// Splits a shell command line into words (double and single quotes; no expansion).
    fn words(line: &str) -> Vec<String> {
        let (mut out, mut word, mut quote, mut any) = (Vec::new(), String::new(), None, false);
        for c in line.chars() {
            match (quote, c) {
                (None, '"' | '\'') => (quote, any) = (Some(c), true),
                (Some(q), c) if c == q => quote = None,
                (None, c) if c.is_whitespace() => {
                    if any {
                        out.push(std::mem::take(&mut word));
                    }
                    any = false;
                }
                (_, c) => (word, any) = (word + &c.to_string(), true),
            }
        }
        if any {
            out.push(word);
        }
        out
    }

    /// Every `curbside …` command the README gives, as (standard input, words).
    fn readme_commands() -> Vec<(String, Vec<String>)> {
        let readme = include_str!("../../../README.md");
        // Lines of fenced code blocks, and `inline code` elsewhere.
        let (mut spans, mut fenced) = (Vec::new(), false);
        for line in readme.lines() {
            if line.starts_with("```") {
                fenced = !fenced;
            } else if fenced {
                spans.push(line.trim_end_matches('\\').trim());
            } else {
                spans.extend(line.split('`').skip(1).step_by(2));
            }
        }
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for span in spans {
            let Some(at) = span.find("curbside ").filter(|&i| i == 0 || span[..i].ends_with([' ', '/', '|']))
            else {
                continue;
            };
            let (before, command) = span.split_at(at);
            let command = command.split('#').next().unwrap_or_default();
            let stdin = if before.contains("echo") { "a-long-enough-password\n" } else { "" };
            let mut w = words(command.trim_end_matches(['.', ')']));
            w[0] = "curbside".into();
            // `secrets generate|rotate` names two commands.
            if w.get(2).is_some_and(|s| s.contains('|')) {
                for sub in w[2].clone().split('|') {
                    let mut each = w.clone();
                    each[2] = sub.to_owned();
                    out.push((stdin.to_owned(), each));
                }
                continue;
            }
            out.push((stdin.to_owned(), w));
        }
        out.sort();
        out.dedup();
        out
    }

    #[tokio::test]
    async fn every_curbside_command_in_the_readme_runs() {
        let commands = readme_commands();
        let names: Vec<String> = commands.iter().map(|(_, w)| w[..3.min(w.len())].join(" ")).collect();
        for expected in ["curbside demo", "curbside purge", "curbside secrets generate", "curbside user add"]
        {
            assert!(names.iter().any(|n| n.starts_with(expected)), "{expected} not found in {names:?}");
        }
        let dir = tempfile::tempdir().expect("dir");
        let db = format!("sqlite://{}", dir.path().join("readme.db").display());
        for (stdin, mut w) in commands {
            let shown = w.join(" ");
            if w.get(1..3).is_some_and(|s| s == ["secrets", "rotate"]) {
                continue; // needs two keys: parsed with them filled in below
            }
            let cli = Cli::try_parse_from(&w).unwrap_or_else(|e| panic!("`{shown}` does not parse: {e}"));
            match &cli.command {
                // Long-running: parsing is what the README promises here (the demo's own
                // commands are run by tests/tests/documented.rs).
                Command::Serve(_) | Command::Demo(_) => continue,
                _ => {}
            }
            w.extend(["--database-url".to_owned(), db.clone()]);
            // Commands without a database keep their words as they are.
            let cli = Cli::try_parse_from(&w).unwrap_or(cli);
            run(cli, &mut stdin.as_bytes()).await.unwrap_or_else(|e| panic!("`{shown}` failed: {e:#}"));
        }
        let rotate = ["curbside", "secrets", "rotate", "--new-key", "x", "--database-url", &db];
        assert!(Cli::try_parse_from(rotate).is_ok());
    }

    #[test]
    fn a_misspelt_log_format_names_the_allowed_values() {
        let e = init_tracing("info", "jsn").expect_err("refused");
        assert_eq!(e.to_string(), "CURBSIDE_LOG_FORMAT must be human or json (got \"jsn\")");
    }
}
