//! `curbside-bench`: the load harness. Drives the release `curbside` binary and nginx + nchan
//! on loopback with the same clients in the same run, prints one JSON line per run, and with
//! `all` writes `docs/benchmarks.md` and `docs/benchmarks.json`. See docs/benchmarks.md.

mod clients;
mod peers;
mod procfs;
mod report;
mod scenarios;

use anyhow::Context;
use clap::{Parser, Subcommand};
use scenarios::{FanoutSpec, Server, Transport};
use serde_json::Value;
use std::path::PathBuf;

#[derive(Parser)]
#[command(about = "Curbside's load harness, side by side with nginx + nchan")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The server under test (build it with `cargo build --release -p curbside-server`).
    #[arg(long, default_value = "target/release/curbside", global = true)]
    binary: PathBuf,
    /// Rounds of each side-by-side scenario (servers alternate their order every round).
    #[arg(long, default_value_t = 2, global = true)]
    rounds: usize,
    /// Smaller runs (one round, fewer publishes): checks that the harness works, in a minute.
    #[arg(long, global = true)]
    quick: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Every scenario; writes docs/benchmarks.md and docs/benchmarks.json.
    All {
        #[arg(long, default_value = "docs")]
        out_dir: PathBuf,
    },
    /// Fan-out to 1,000 subscribers at 20 answers/s (WebSocket and SSE), against nchan.
    Fanout,
    /// 10,000 idle viewers (WebSocket and SSE): memory and accept CPU, against nchan.
    Connections,
    /// Signed webhook batches into SQLite, and comment → moderator latency.
    Ingest,
    /// HTTP load on the transcript page of a session with 200 answers.
    Transcript,
}

fn fanout_specs(quick: bool) -> Vec<FanoutSpec> {
    let publishes = if quick { 40 } else { 200 };
    [Transport::Ws, Transport::Sse]
        .into_iter()
        .map(|transport| FanoutSpec {
            scenario: if transport == Transport::Ws { "fanout_ws" } else { "fanout_sse" },
            transport,
            subscribers: 1000,
            rate: 20.0,
            publishes,
        })
        .collect()
}

fn connection_specs(quick: bool) -> Vec<FanoutSpec> {
    [Transport::Ws, Transport::Sse]
        .into_iter()
        .map(|transport| FanoutSpec {
            scenario: if transport == Transport::Ws { "idle_ws" } else { "idle_sse" },
            transport,
            subscribers: if quick { 2000 } else { 10_000 },
            rate: 1.0,
            publishes: if quick { 2 } else { 5 },
        })
        .collect()
}

/// Runs the specs against both servers, alternating which goes first every round.
async fn side_by_side(cli: &Cli, specs: &[FanoutSpec], results: &mut Vec<Value>) -> anyhow::Result<()> {
    let rounds = if cli.quick { 1 } else { cli.rounds.max(1) };
    for round in 0..rounds {
        for spec in specs {
            let order = if round % 2 == 0 {
                [Server::Curbside, Server::Nchan]
            } else {
                [Server::Nchan, Server::Curbside]
            };
            for server in order {
                // nchan gets the payload size Curbside delivered (the WebSocket frame; the SSE
                // client does not split events, so it reuses the size from the WebSocket run).
                let size = results
                    .iter()
                    .rev()
                    .filter(|r| r["server"] == "curbside")
                    .filter_map(|r| r["frame_bytes"].as_u64())
                    .find(|&n| n > 0)
                    .unwrap_or(520) as usize;
                let mut line = scenarios::fanout(spec, server, &cli.binary, size)
                    .await
                    .with_context(|| format!("{} on {server:?}", spec.scenario))?;
                line["round"] = round.into();
                emit(&line);
                results.push(line);
            }
        }
    }
    Ok(())
}

fn emit(line: &Value) {
    println!("{line}");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    clients::base();
    let cli = Cli::parse();
    anyhow::ensure!(
        cli.binary.exists(),
        "{} not found: run `cargo build --release -p curbside-server` first (scripts/bench does)",
        cli.binary.display()
    );
    let limit = procfs::open_files_limit().unwrap_or(0);
    if matches!(cli.command, Command::All { .. } | Command::Connections) && limit < 12_000 {
        anyhow::bail!("open files limit is {limit}: 10,000 viewers need `ulimit -n 20000` or more");
    }
    let started = std::time::Instant::now();
    let load_at_start = procfs::load_average();
    let mut results = Vec::new();
    match &cli.command {
        Command::Fanout => side_by_side(&cli, &fanout_specs(cli.quick), &mut results).await?,
        Command::Connections => side_by_side(&cli, &connection_specs(cli.quick), &mut results).await?,
        Command::Ingest => {
            for line in scenarios::ingest(&cli.binary, cli.quick).await? {
                emit(&line);
            }
        }
        Command::Transcript => {
            emit(&scenarios::transcript(&cli.binary, if cli.quick { 2.0 } else { 5.0 }).await?)
        }
        Command::All { out_dir } => {
            side_by_side(&cli, &fanout_specs(cli.quick), &mut results).await?;
            side_by_side(&cli, &connection_specs(cli.quick), &mut results).await?;
            for line in scenarios::ingest(&cli.binary, cli.quick).await? {
                emit(&line);
                results.push(line);
            }
            let line = scenarios::transcript(&cli.binary, if cli.quick { 2.0 } else { 5.0 }).await?;
            emit(&line);
            results.push(line);
            let meta = report::Meta {
                machine: procfs::machine(),
                load_at_start,
                load_at_end: procfs::load_average(),
                seconds: started.elapsed().as_secs_f64(),
                quick: cli.quick,
                rounds: if cli.quick { 1 } else { cli.rounds.max(1) },
            };
            std::fs::create_dir_all(out_dir)?;
            let json = serde_json::json!({ "meta": meta.to_json(), "runs": results });
            std::fs::write(out_dir.join("benchmarks.json"), serde_json::to_string_pretty(&json)? + "\n")?;
            std::fs::write(out_dir.join("benchmarks.md"), report::markdown(&meta, &results))?;
            eprintln!("wrote {0}/benchmarks.md and {0}/benchmarks.json", out_dir.display());
        }
    }
    Ok(())
}
