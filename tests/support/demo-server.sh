# Sourced by the scripts that drive a demo server with npm clients: builds the binary when
# missing, starts `serve --demo` on a free port with a fresh data directory, waits until it
# answers, and stops it (and removes the directory) on exit. Sets `port`, `server`, `log`.
#
#   . tests/support/demo-server.sh BINARY
binary="$1"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
[ -x "$binary" ] || (cd "$root" && cargo build --bin paperboard)

data_dir="$(mktemp -d)"
log="$data_dir/server.log"
stop_demo_server() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null || true
  rm -rf "$data_dir"
}
trap stop_demo_server EXIT

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
env -u DATABASE_URL PAPERBOARD_LOG=warn "$binary" serve --demo --bind "127.0.0.1:$port" --data-dir "$data_dir" >"$log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$log"; echo "the server did not start" >&2; exit 1; }
  sleep 0.1
done
