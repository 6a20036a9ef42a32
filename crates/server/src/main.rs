//! The `curbside` binary: parses the command line and hands over to [`curbside_server::cli`].

/// mimalloc instead of the system allocator: a connection's buffers that are reserved but barely
/// written (hyper's 8 KiB read and header buffers, an idle viewer's) cost only the pages touched,
/// and per-delivery allocations from two worker threads do not share one arena's lock
/// (docs/measurements.md, "Benchmarks").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    curbside_server::cli::main()
}
