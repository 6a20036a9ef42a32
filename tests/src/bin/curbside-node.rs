//! The `curbside` command line, built with the test suite so the cluster tests can start real
//! `curbside serve` processes (and kill them) from the code under test, never a stale binary.

fn main() -> std::process::ExitCode {
    curbside_server::cli::main()
}
