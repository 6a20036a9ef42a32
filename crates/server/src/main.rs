//! The `curbside` binary: parses the command line and hands over to [`curbside_server::cli`].

fn main() -> std::process::ExitCode {
    curbside_server::cli::main()
}
