#!/usr/bin/env bash
# The schema fuzzer: Schemathesis (from PyPI, in its own venv) against a running binary on a
# fresh SQLite database, signed in as an admin, every check, every phase including the
# stateful one. Exits non-zero on any failure. Run by .ci/run after the test suite; by hand:
#
#   cargo build --release --locked && scripts/fuzz-api.sh target/release/curbside
#
# Bounded: CURBSIDE_FUZZ_EXAMPLES test cases per operation (default 15, about 2 minutes on a
# 2-core machine), a fixed seed so a failure reproduces, and a hard time limit.
set -euo pipefail
cd "$(dirname "$0")/.."

BINARY="${1:-target/release/curbside}"
EXAMPLES="${CURBSIDE_FUZZ_EXAMPLES:-15}"
SEED="${CURBSIDE_FUZZ_SEED:-20261202}"
VENV="$(realpath -m "${CURBSIDE_FUZZ_VENV:-target/fuzz-venv}")"
SCHEMATHESIS_VERSION="4.32.5"

[ -x "$BINARY" ] || { echo "fuzz: $BINARY is not an executable (cargo build --release --locked)" >&2; exit 1; }

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  echo "fuzz: installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
email="fuzz-admin@curbside.test"
password="fuzz-admin-password-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"

CURBSIDE_BIND="127.0.0.1:$port" \
CURBSIDE_DATABASE_URL="sqlite://$work/curbside.db" \
CURBSIDE_ADMIN_EMAIL="$email" CURBSIDE_ADMIN_PASSWORD="$password" \
CURBSIDE_META_APP_SECRET="fuzz-app-secret" CURBSIDE_META_VERIFY_TOKEN="fuzz-verify-token" \
CURBSIDE_GRAPH_URL="http://127.0.0.1:9" \
CURBSIDE_LOG="${CURBSIDE_LOG:-warn}" \
  "$BINARY" serve >"$work/server.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 100); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; echo "fuzz: the server stopped" >&2; exit 1; }
  sleep 0.1
done
curl -fsS "$base/readyz" >/dev/null || { cat "$work/server.log" >&2; echo "fuzz: the server is not ready" >&2; exit 1; }

token="$(curl -fsS "$base/api/login" -H 'content-type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"

# Signing out would end the fuzzer's own sign-in, and every later request would be a 401 that
# tests nothing: /api/logout is left to the API suite (tests/tests/api.rs, roles.rs).
status=0
# From the scratch folder: Schemathesis keeps its state in the working directory.
(cd "$work" && timeout 600 "$VENV/bin/schemathesis" run "$base/api/openapi.json" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$EXAMPLES" \
  --seed "$SEED" \
  --generation-database none \
  --workers 2 \
  --request-timeout 20 \
  --exclude-path /api/logout \
  --header "Authorization: Bearer $token" \
  --no-color \
  --report junit --report-dir "$work/report") || status=$?

if [ "$status" -ne 0 ]; then
  echo "fuzz: schemathesis found failures (status $status); server log:" >&2
  grep -v '^$' "$work/server.log" | tail -n 40 >&2 || true
fi
exit "$status"
