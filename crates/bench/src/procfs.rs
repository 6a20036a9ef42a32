//! What the server under test costs, read from `/proc`: CPU seconds and proportional memory of
//! a process and its children (nginx's master and workers), the load average and the machine.

use std::collections::HashMap;

/// Linux reports `utime`/`stime` in clock ticks of 1/100 s on every platform we run on.
const TICKS_PER_SECOND: f64 = 100.0;

/// `pid` and every process whose parent is in the set (one level is enough: nginx's workers).
pub fn process_tree(pid: u32) -> Vec<u32> {
    let mut pids = vec![pid];
    let Ok(entries) = std::fs::read_dir("/proc") else { return pids };
    let mut parents = HashMap::new();
    for entry in entries.flatten() {
        let Some(child) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        if let Some(stat) = stat_fields(child) {
            if let Some(ppid) = stat.get(1).and_then(|p| p.parse::<u32>().ok()) {
                parents.insert(child, ppid);
            }
        }
    }
    pids.extend(parents.iter().filter(|(_, &ppid)| ppid == pid).map(|(&child, _)| child));
    pids
}

/// The fields of `/proc/<pid>/stat` after the command name (field 3, the state, is index 0).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &text[text.rfind(')')? + 2..];
    Some(after_name.split_whitespace().map(str::to_owned).collect())
}

/// User plus system CPU seconds used so far by these processes.
pub fn cpu_seconds(pids: &[u32]) -> f64 {
    pids.iter()
        .filter_map(|&pid| {
            let f = stat_fields(pid)?;
            // utime and stime are fields 14 and 15 of the stat line: 11 and 12 after the name.
            let utime: f64 = f.get(11)?.parse().ok()?;
            let stime: f64 = f.get(12)?.parse().ok()?;
            Some((utime + stime) / TICKS_PER_SECOND)
        })
        .sum()
}

/// Proportional set size in KiB summed over the processes: shared pages (nchan's shared
/// memory, the binary's text) are split between the processes that map them, not counted twice.
pub fn pss_kib(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|&pid| {
            let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
            field_kib(&text, "Pss:")
        })
        .sum()
}

/// Peak resident memory (`VmHWM`) in KiB summed over the processes.
pub fn peak_rss_kib(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|&pid| {
            let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            field_kib(&text, "VmHWM:")
        })
        .sum()
}

fn field_kib(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    line[name.len()..].split_whitespace().next()?.parse().ok()
}

/// The 1-, 5- and 15-minute load averages, as `uptime` prints them.
pub fn load_average() -> [f64; 3] {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut it = text.split_whitespace().map(|v| v.parse().unwrap_or(f64::NAN));
    [it.next().unwrap_or(f64::NAN), it.next().unwrap_or(f64::NAN), it.next().unwrap_or(f64::NAN)]
}

/// The machine, for the report: CPU model, cores, memory, kernel.
pub fn machine() -> serde_json::Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|m| m.trim().to_owned())
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = field_kib(&meminfo, "MemTotal:").map(|k| k as f64 / 1024.0 / 1024.0).unwrap_or(0.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned();
    serde_json::json!({ "cpu": model, "cores": cores, "memory_gib": (mem_gib * 10.0).round() / 10.0, "kernel": kernel })
}

/// The soft limit on open files of this process (each client connection is one).
pub fn open_files_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..].split_whitespace().next()?.parse().ok()
}
