#!/usr/bin/env bash
# The GraphQL clients frontends use (Apollo Client, urql, graphql-ws, graphql-sse, at the
# pinned versions of package-lock.json), driven against a demo server started on a free
# port with a fresh data directory. Fails on the first check that does not hold.
#
#   tests/clients/run.sh [path/to/paperboard]    (default: target/debug/paperboard)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
binary="${1:-$root/target/debug/paperboard}"
[ -x "$binary" ] || (cd "$root" && cargo build --bin paperboard)

(cd "$here" && npm ci --no-audit --no-fund --silent)

data_dir="$(mktemp -d)"
log="$data_dir/server.log"
cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null || true
  rm -rf "$data_dir"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
env -u DATABASE_URL PAPERBOARD_LOG=warn "$binary" serve --demo --bind "127.0.0.1:$port" --data-dir "$data_dir" >"$log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$log"; echo "the server did not start" >&2; exit 1; }
  sleep 0.1
done

node "$here/clients.mjs" "http://127.0.0.1:$port" || { echo "--- server log"; cat "$log"; exit 1; }
