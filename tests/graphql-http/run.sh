#!/usr/bin/env bash
# The graphql-http conformance audit (GraphQL over HTTP): starts a demo server on a free
# port with a fresh data directory, runs every audit of the pinned graphql-http package
# against it, and fails on any result that is not "ok".
#
#   tests/graphql-http/run.sh [path/to/paperboard]    (default: target/debug/paperboard)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
(cd "$here" && npm ci --no-audit --no-fund --silent)
. "$here/../support/demo-server.sh" "${1:-$here/../../target/debug/paperboard}"

node "$here/audit.mjs" "http://127.0.0.1:$port/graphql"
