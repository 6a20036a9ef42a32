#!/usr/bin/env python3
"""Measures how long `POST /webhooks/meta` takes to acknowledge a 1000-change batch.

Run from the project root after `cargo build --release --locked`:
    scripts/measure-webhook-ack.py [--postgres postgres://postgres@127.0.0.1:5432/postgres] [--runs 20]

It starts target/release/curbside serve on a free loopback port with a fresh database, creates
a session whose Facebook source matches the comments, then posts `runs` signed bodies of 1000
distinct new comments each (every one stored before the 200), and reports min / median / p90 /
max wall time per body as the client sees it. Standard library only; loopback only.
"""
import argparse, hashlib, hmac, http.client, json, os, socket, statistics, subprocess, sys, tempfile, time, uuid

SECRET = "measure-secret"
PAGE, VIDEO, LIVE = "1000000000001", "2000000000002", "3000000000003"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def call(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--postgres")
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="curbside-measure-")
    db = "sqlite://" + os.path.join(tmp, "c.db")
    if args.postgres:
        name = "curbside_measure_" + uuid.uuid4().hex[:8]
        subprocess.run(["psql", "-q", "-d", args.postgres, "-c", f"CREATE DATABASE {name}"], check=True)
        db = args.postgres.rsplit("/", 1)[0] + "/" + name
    port = free_port()
    env = dict(os.environ, CURBSIDE_BIND=f"127.0.0.1:{port}", CURBSIDE_DATABASE_URL=db, CURBSIDE_META_APP_SECRET=SECRET,
               CURBSIDE_ADMIN_EMAIL="m@x.test", CURBSIDE_ADMIN_PASSWORD="measure-password", CURBSIDE_LOG="warn",
               CURBSIDE_GRAPH_URL="http://127.0.0.1:9")
    proc = subprocess.Popen(["target/release/curbside", "serve"], env=env)
    try:
        for _ in range(100):
            try:
                if call(port, "GET", "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        _, tok = call(port, "POST", "/api/login", json.dumps({"email": "m@x.test", "password": "measure-password"}),
                      {"content-type": "application/json"})
        auth = {"authorization": "Bearer " + json.loads(tok)["token"], "content-type": "application/json"}
        src = {"platform": "facebook", "page_id": PAGE, "live_video_id": LIVE, "video_id": VIDEO, "access_token": "t"}
        call(port, "POST", "/api/sessions", json.dumps({"title": "Measure", "sources": [src]}), auth)
        times = []
        for run in range(args.runs):
            changes = [{"field": "feed", "value": {"item": "comment", "verb": "add",
                        "comment_id": f"{VIDEO}_{run}{i:05d}", "post_id": f"{PAGE}_{VIDEO}", "parent_id": f"{PAGE}_{VIDEO}",
                        "from": {"id": str(7000 + i), "name": "Viewer"}, "created_time": 1764000000,
                        "message": "How much exercise is enough after a heart attack?"}} for i in range(1000)]
            body = json.dumps({"object": "page", "entry": [{"id": PAGE, "time": 1764000000, "changes": changes}]}).encode()
            sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            t0 = time.perf_counter()
            status, _ = call(port, "POST", "/webhooks/meta", body, {"content-type": "application/json", "x-hub-signature-256": sig})
            times.append((time.perf_counter() - t0) * 1000)
            assert status == 200, status
        times.sort()
        print(f"{'postgres' if args.postgres else 'sqlite'}: {args.runs} bodies of 1000 new comments ({len(body)//1024} KiB): "
              f"min {times[0]:.0f} ms, median {statistics.median(times):.0f} ms, "
              f"p90 {times[int(len(times)*0.9)-1]:.0f} ms, max {times[-1]:.0f} ms")
    finally:
        proc.terminate()
        proc.wait(10)
        if args.postgres:
            subprocess.run(["psql", "-q", "-d", args.postgres, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])


if __name__ == "__main__":
    sys.exit(main())
