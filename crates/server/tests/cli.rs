//! The binary's outside behaviour: bad configuration exits non-zero with one clear line.

use std::process::{Command, Stdio};

fn curbside(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_curbside"));
    cmd.args(args).stdin(Stdio::null()).env_remove("RUST_BACKTRACE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run curbside");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn assert_one_line_failure(code: i32, stderr: &str, mentions: &str) {
    assert_ne!(code, 0, "must exit non-zero: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("curbside:")).collect();
    assert_eq!(lines.len(), 1, "one error line, got: {stderr}");
    assert!(lines[0].contains(mentions), "{:?} should mention {mentions:?}", lines[0]);
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{stderr}");
}

#[test]
fn serve_with_an_unusable_database_exits_with_one_line() {
    let (code, err) = curbside(
        &["serve"],
        &[("CURBSIDE_DATABASE_URL", "sqlite:///no/such/dir/curbside.db"), ("CURBSIDE_BIND", "127.0.0.1:0")],
    );
    assert_one_line_failure(code, &err, "CURBSIDE_DATABASE_URL");
    let (code, err) =
        curbside(&["serve"], &[("CURBSIDE_DATABASE_URL", "mysql://db/x"), ("CURBSIDE_BIND", "127.0.0.1:0")]);
    assert_one_line_failure(code, &err, "CURBSIDE_DATABASE_URL");
}

#[test]
fn serve_with_a_bad_or_busy_address_exits_with_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("c.db").display());
    let (code, err) =
        curbside(&["serve"], &[("CURBSIDE_DATABASE_URL", &db), ("CURBSIDE_BIND", "not-an-address")]);
    assert_one_line_failure(code, &err, "CURBSIDE_BIND");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let (code, err) = curbside(&["serve"], &[("CURBSIDE_DATABASE_URL", &db), ("CURBSIDE_BIND", &addr)]);
    assert_one_line_failure(code, &err, "CURBSIDE_BIND");
}

#[test]
fn user_add_reads_the_password_from_stdin() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("c.db").display());
    let add = |password: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_curbside"))
            .args(["user", "add", "--email", "mod@clinic.test", "--role", "moderator", "--password-stdin"])
            .env("CURBSIDE_DATABASE_URL", &db)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        child.stdin.take().expect("stdin").write_all(password.as_bytes()).expect("write");
        child.wait_with_output().expect("wait")
    };
    let out = add("a-long-enough-password\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("added mod@clinic.test (moderator)"));
    let again = add("a-long-enough-password\n");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let short = Command::new(env!("CARGO_BIN_EXE_curbside"))
        .args(["user", "add", "--email", "x@clinic.test", "--role", "wizard", "--password-stdin"])
        .env("CURBSIDE_DATABASE_URL", &db)
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("unknown role"));
}
