#!/usr/bin/env bash
# The GraphQL clients frontends use (Apollo Client, urql, graphql-ws, graphql-sse, at the
# pinned versions of package-lock.json), driven against a demo server started on a free
# port with a fresh data directory. Fails on the first check that does not hold.
#
#   tests/clients/run.sh [path/to/paperboard]    (default: target/debug/paperboard)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
(cd "$here" && npm ci --no-audit --no-fund --silent)
. "$here/../support/demo-server.sh" "${1:-$here/../../target/debug/paperboard}"

node "$here/clients.mjs" "http://127.0.0.1:$port" || { echo "--- server log"; cat "$log"; exit 1; }
