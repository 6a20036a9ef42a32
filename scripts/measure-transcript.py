#!/usr/bin/env python3
"""Measures the public transcript page: its size with 200 answers and how many requests per
second the release build serves for it (while the session is live, and after it ended).

Run from the project root after `cargo build --release --locked`, with `wrk` installed
(`apt-get install wrk`):
    scripts/measure-transcript.py [--postgres postgres://postgres@127.0.0.1:5432/postgres] [--seconds 15]

It starts target/release/curbside serve on a free loopback port with a fresh database, creates a
session and a specialist, posts 200 signed webhook comments, approves, puts on air and answers
each (answers of realistic length, 180-320 characters), then reports the page's size and runs
`wrk -t2 -c64` against `/s/{slug}` for the given time, live and then ended. Loopback only.
"""
import argparse, hashlib, hmac, http.client, json, os, re, socket, subprocess, sys, tempfile, time, uuid

SECRET = "measure-secret"
PAGE, VIDEO, LIVE = "1000000000001", "2000000000002", "3000000000003"
ANSWERS = [
    "Most adults should aim for at least 150 minutes of moderate activity a week, such as brisk walking, "
    "spread over most days. Start slowly after a heart event and follow your cardiac rehab plan.",
    "A blood pressure below 120 over 80 is considered normal. Readings between 120 and 129 with a lower number "
    "under 80 are elevated. Measure at the same time each day, seated, after five minutes of rest.",
    "Soluble fibre from oats, beans and lentils, regular exercise and, when your clinician recommends it, "
    "statins lower LDL cholesterol. Ask for a lipid panel to know your numbers before and after changes.",
    "Yes, for most people up to three or four cups of coffee a day is fine. If you notice palpitations or "
    "your blood pressure is hard to control, talk with your care team about cutting back.",
]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Client:
    def __init__(self, port):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method, path, body=None, headers=None):
        self.c.request(method, path, body=body, headers=headers or {})
        r = self.c.getresponse()
        return r.status, r.read()


def wrk(port, path, seconds):
    out = subprocess.run(["wrk", "-t2", "-c64", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True, check=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
    p99 = re.search(r"99%\s+(\S+)", out).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return float(rps), p99, int(errors.group(1)) if errors else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--postgres")
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--save", help="write the rendered page to this file")
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
               CURBSIDE_GRAPH_URL="http://127.0.0.1:9", CURBSIDE_PUBLIC_URL="https://qa.example-hospital.org")
    proc = subprocess.Popen(["target/release/curbside", "serve"], env=env)
    try:
        c = Client(port)
        for _ in range(100):
            try:
                if c.call("GET", "/readyz")[0] == 200:
                    break
            except OSError:
                c = Client(port)
            time.sleep(0.1)
        js = {"content-type": "application/json"}
        _, tok = c.call("POST", "/api/login", json.dumps({"email": "m@x.test", "password": "measure-password"}), js)
        auth = dict(js, authorization="Bearer " + json.loads(tok)["token"])
        c.call("POST", "/api/users", json.dumps({"email": "dr@x.test", "name": "Dr Ada Lee", "role": "specialist",
               "credentials": "MD, Cardiology", "password": "specialist-password"}), auth)
        _, tok = c.call("POST", "/api/login", json.dumps({"email": "dr@x.test", "password": "specialist-password"}), js)
        doc = dict(js, authorization="Bearer " + json.loads(tok)["token"])
        src = {"platform": "facebook", "page_id": PAGE, "live_video_id": LIVE, "video_id": VIDEO, "access_token": "t"}
        _, s = c.call("POST", "/api/sessions", json.dumps({"title": "Heart health Q&A", "sources": [src]}), auth)
        sid = json.loads(s)["id"]
        c.call("PATCH", f"/api/sessions/{sid}", json.dumps({"status": "live"}), auth)
        changes = [{"field": "feed", "value": {"item": "comment", "verb": "add",
                    "comment_id": f"{VIDEO}_{i:05d}", "post_id": f"{PAGE}_{VIDEO}", "parent_id": f"{PAGE}_{VIDEO}",
                    "from": {"id": str(7000 + i), "name": "Viewer"}, "created_time": 1764000000 + i,
                    "message": f"Question {i}: how much exercise is enough after a heart attack?"}} for i in range(200)]
        body = json.dumps({"object": "page", "entry": [{"id": PAGE, "time": 1764000000, "changes": changes}]}).encode()
        sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert c.call("POST", "/webhooks/meta", body, dict(js, **{"x-hub-signature-256": sig}))[0] == 200
        _, qs = c.call("GET", f"/api/sessions/{sid}/questions", None, auth)
        for i, q in enumerate(json.loads(qs)["questions"]):
            qid = q["id"]
            wording = f"How much exercise is enough after a heart attack, question {i}?"
            assert c.call("POST", f"/api/questions/{qid}/approve", json.dumps({"public_text": wording}), auth)[0] == 200
            assert c.call("POST", f"/api/questions/{qid}/on-air", "{}", doc)[0] == 200
            assert c.call("POST", f"/api/questions/{qid}/answer", json.dumps({"text": ANSWERS[i % 4]}), doc)[0] == 200
        time.sleep(0.5)
        _, page = c.call("GET", "/s/heart-health-q-a")
        assert page.count(b'<li id="q-') == 200, page.count(b'<li id="q-')
        print(f"page with 200 answers: {len(page)} bytes ({len(page) / 1024:.1f} KiB)")
        if args.save:
            with open(args.save, "wb") as f:
                f.write(page)
        rps, p99, errors = wrk(port, "/s/heart-health-q-a", args.seconds)
        print(f"live:  {rps:.0f} requests/s, p99 {p99}, non-2xx {errors}")
        c.call("PATCH", f"/api/sessions/{sid}", json.dumps({"status": "ended"}), auth)
        time.sleep(0.5)
        rps, p99, errors = wrk(port, "/s/heart-health-q-a", args.seconds)
        print(f"ended: {rps:.0f} requests/s, p99 {p99}, non-2xx {errors}")
    finally:
        proc.terminate()
        proc.wait(10)
        if args.postgres:
            subprocess.run(["psql", "-q", "-d", args.postgres, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])


if __name__ == "__main__":
    sys.exit(main())
