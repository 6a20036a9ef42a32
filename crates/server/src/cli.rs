//! The command line: `serve`, `user add`. Errors end the process with one line on stderr and
//! a non-zero status, never a panic or a backtrace.

use crate::api::users::new_user;
use crate::config::Settings;
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
    Serve(Settings),
    /// Run the whole flow locally: the hub, a Meta simulator playing a scripted Q&A, staff accounts.
    Demo(crate::demo::DemoOptions),
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
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
    // The demo's terminal is for its status line: only warnings unless asked for more.
    init_tracing(if matches!(cli.command, Command::Demo(_)) { "warn" } else { "info" });
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("curbside: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("curbside: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(settings) => {
            let config = settings.check()?;
            let app = Application::build(config).await?;
            app.run(shutdown_signal()).await
        }
        Command::Demo(options) => crate::demo::run(options, shutdown_signal()).await,
        Command::User {
            command: UserCommand::Add { email, role, name, credentials, password_stdin: _, database_url },
        } => {
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
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
            let user = store.create_user(new).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("added {} ({}) with id {}", user.email, user.role, user.id);
            store.close().await;
            Ok(())
        }
    }
}

/// Human-readable logs by default; `CURBSIDE_LOG_FORMAT=json` for log shippers. The filter is
/// `CURBSIDE_LOG` (e.g. `info,curbside_hub=debug`). Comment text is only ever logged at debug.
fn init_tracing(default_filter: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("CURBSIDE_LOG").unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if std::env::var("CURBSIDE_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json")) {
        builder.json().init();
    } else {
        builder.init();
    }
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
