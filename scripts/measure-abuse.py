#!/usr/bin/env python3
"""Measures how a release build holds up under the anonymous attacks of issue 6.

Run from the project root after `cargo build --release --locked`:
    scripts/measure-abuse.py [--binary target/release/curbside] [--attempts 20000]

Each scenario starts the binary on a free loopback port over a fresh SQLite file and reads the
server's memory from /proc/<pid>/status (VmRSS now, VmHWM the peak):
  flood     `attempts` wrong sign-ins with distinct emails from one address, 32 at a time, while
            the admin signs in from another loopback address every second (its status and time)
  flood_proxied  the same, each attempt from its own X-Forwarded-For address behind a trusted
            proxy (CURBSIDE_TRUSTED_PROXIES=127.0.0.1), so that no per-client limit applies
  spread    200 wrong sign-ins at once, spread over 10 client addresses (127.0.0.2-11)
  lockout   40 simultaneous wrong passwords for the admin's email from one address, then the
            admin's correct password from the same address, and from another client behind
            the same trusted proxy (X-Forwarded-For, CURBSIDE_TRUSTED_PROXIES=127.0.0.1)
  methods   /metrics size before and after 10,000 requests with made-up methods
  body      a `Content-Length: 100000000` on /api/login: status and time to the answer
Standard library only; loopback only.
"""
import argparse, concurrent.futures as cf, http.client, json, os, socket, subprocess, tempfile, threading, time

ADMIN, PASSWORD = "admin@measure.test", "measure-admin-password"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def mib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


class Server:
    def __init__(self, binary, extra_env=None):
        self.dir = tempfile.mkdtemp(prefix="curbside-abuse-")
        self.port = free_port()
        env = dict(os.environ, CURBSIDE_BIND=f"127.0.0.1:{self.port}",
                   CURBSIDE_DATABASE_URL="sqlite://" + os.path.join(self.dir, "c.db"),
                   CURBSIDE_ADMIN_EMAIL=ADMIN, CURBSIDE_ADMIN_PASSWORD=PASSWORD, CURBSIDE_LOG="error",
                   CURBSIDE_GRAPH_URL="http://127.0.0.1:9", **(extra_env or {}))
        self.proc = subprocess.Popen([binary, "serve"], env=env, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                if self.call("GET", "/readyz")[0] == 200:
                    break
            except (OSError, http.client.HTTPException):
                # Before the server listens, a connection to a port in the ephemeral range
                # can connect to itself and read back its own request.
                time.sleep(0.05)
        time.sleep(0.5)

    def call(self, method, path, body=None, headers=None, source="127.0.0.1", timeout=120):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout, source_address=(source, 0))
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def login(self, email, password, source="127.0.0.1", headers=None):
        h = {"content-type": "application/json", **(headers or {})}
        start = time.monotonic()
        status, _ = self.call("POST", "/api/login", json.dumps({"email": email, "password": password}), h, source)
        return status, time.monotonic() - start

    def rss(self):
        return mib(self.proc.pid, "VmRSS"), mib(self.proc.pid, "VmHWM")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=20)


def counts(statuses):
    out = {}
    for s in statuses:
        out[s] = out.get(s, 0) + 1
    return dict(sorted(out.items()))


def flood(binary, attempts, proxied=False):
    srv = Server(binary, {"CURBSIDE_TRUSTED_PROXIES": "127.0.0.1"} if proxied else None)
    before = srv.rss()[0]
    stop = threading.Event()
    admin = []

    def admin_loop():
        while not stop.is_set():
            admin.append(srv.login(ADMIN, PASSWORD, source="127.0.0.99"))
            time.sleep(1)

    t = threading.Thread(target=admin_loop)
    t.start()
    start = time.monotonic()
    with cf.ThreadPoolExecutor(32) as ex:
        statuses = list(ex.map(lambda i: srv.login(
            f"nobody{i}@measure.test", "wrong-password",
            headers={"x-forwarded-for": f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"} if proxied else None)[0],
            range(attempts)))
    took = time.monotonic() - start
    stop.set()
    t.join()
    after, peak = srv.rss()
    srv.stop()
    ok = [d for s, d in admin if s == 200]
    where = "each from its own address behind a trusted proxy" if proxied else "one address"
    print(f"flood: {attempts} wrong sign-ins (distinct emails, {where}) in {took:.1f} s: {counts(statuses)}")
    print(f"  RSS {before:.0f} MiB -> {after:.0f} MiB (peak {peak:.0f} MiB)")
    print(f"  admin from another address during the flood: {counts([s for s, _ in admin])}, "
          f"median {sorted(ok)[len(ok) // 2] * 1000 if ok else float('nan'):.0f} ms")


def flood_proxied(binary, attempts):
    flood(binary, attempts, proxied=True)


def spread(binary):
    srv = Server(binary)
    before = srv.rss()[0]
    with cf.ThreadPoolExecutor(200) as ex:
        statuses = list(ex.map(
            lambda i: srv.login(f"spread{i}@measure.test", "wrong-password", source=f"127.0.0.{2 + i % 10}")[0],
            range(200)))
    after, peak = srv.rss()
    srv.stop()
    print(f"spread: 200 wrong sign-ins at once over 10 addresses: {counts(statuses)}")
    print(f"  RSS {before:.0f} MiB -> {after:.0f} MiB (peak {peak:.0f} MiB)")


def lockout(binary):
    srv = Server(binary, {"CURBSIDE_TRUSTED_PROXIES": "127.0.0.1"})
    attacker = {"x-forwarded-for": "203.0.113.66"}
    with cf.ThreadPoolExecutor(40) as ex:
        statuses = list(ex.map(lambda i: srv.login(ADMIN, "wrong-password", headers=attacker)[0], range(40)))
    same = srv.login(ADMIN, PASSWORD, headers=attacker)
    other = srv.login(ADMIN, PASSWORD, headers={"x-forwarded-for": "198.51.100.7"})
    srv.stop()
    print(f"lockout: 40 simultaneous wrong passwords for the admin: {counts(statuses)}")
    print(f"  then the admin from the attacker's address: {same[0]}; from another client behind the "
          f"same proxy: {other[0]} in {other[1] * 1000:.0f} ms")


def methods(binary):
    srv = Server(binary)
    size = lambda: len(srv.call("GET", "/metrics")[1])
    srv.call("GET", "/healthz")
    before = size()
    with cf.ThreadPoolExecutor(16) as ex:
        statuses = list(ex.map(lambda i: srv.call(f"FOO{i}", "/api/me")[0], range(10000)))
    after = size()
    srv.stop()
    print(f"methods: 10,000 made-up methods ({counts(statuses)}): /metrics {before / 1024:.0f} KiB -> {after / 1024:.0f} KiB")


def body(binary):
    srv = Server(binary)
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.settimeout(60)
    start = time.monotonic()
    s.sendall(b"POST /api/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100000000\r\n\r\n")
    head = s.recv(200).split(b"\r\n")[0].decode(errors="replace")
    took = time.monotonic() - start
    s.close()
    srv.stop()
    print(f"body: Content-Length 100000000 on /api/login: {head!r} after {took:.2f} s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/curbside")
    ap.add_argument("--attempts", type=int, default=20000)
    ap.add_argument("--only", nargs="*", default=["flood", "flood_proxied", "spread", "lockout", "methods", "body"])
    a = ap.parse_args()
    for name in a.only:
        fn = globals()[name]
        fn(a.binary, a.attempts) if name.startswith("flood") else fn(a.binary)


if __name__ == "__main__":
    main()
