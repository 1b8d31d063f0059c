#!/usr/bin/env bash
# Load benchmark of the read API against the release binary over real HTTP.
#
#   bench/run.sh [read|scale]
#
#   read   (default) 100,000 synthetic papers on SQLite and on PostgreSQL: the front-page
#          query and the paper-by-arXiv-id query, wrk -t2 -c32, with req/s, p50, p99 and
#          the server's peak RSS.
#   scale  front-page latency at 10,000 and 1,000,000 papers (SQLite and PostgreSQL).
#   login  login throughput with 16 concurrent clients, and the front page's p99 with and
#          without those logins running (SQLite).
#   upvotes  upvote/remove throughput with 64 signed-in clients (SQLite and PostgreSQL),
#          the counts checked exact afterwards, and the signed-in front page.
#   search searchPapers latency (1 connection) for a one-word, a two-word and a phrase query
#          (and a rare and a very common word) at 100,000 and 1,000,000 papers, SQLite and
#          PostgreSQL.
#   harvest `paperboard sync arxiv` of 50,000 OAI-PMH records (100 pages of 500) served by
#          examples/oai_server.rs without the politeness delay, on SQLite and PostgreSQL:
#          records/s of the first run and of a re-run (every record unchanged), and the front
#          page's latency while the first run goes on.
#   comments 100,000 papers with 1,000,000 comments on SQLite and PostgreSQL: a paper page
#          with its threads (20 top comments, 5 replies each, authors, viewer fields) of the
#          1,000 newest papers, anonymous (shared answers) and signed in (never shared), and
#          of the busiest paper alone, 32 connections; then addComment with 64 signed-in
#          clients, the stored counts checked exact afterwards.
#   personal 1,000,000 papers with 200,000 author follows, 20,000 collections and 1,000,000
#          notifications, on SQLite and PostgreSQL: the first page of the personal feed of a
#          user following 10 authors and of one following 1,000 authors and 20 categories,
#          32 connections; then one paper by an author with 10,000 followers, all of them
#          subscribed to notificationReceived (examples/fanout.rs): the time to write every
#          inbox (the submission's own time) and the live delivery latency.
#   fanout one submitted paper delivered to 1,000, 10,000 and 19,000 `paperAdded`
#          subscribers of one SQLite instance, and to 9,000 + 9,000 subscribers of two
#          instances sharing PostgreSQL (examples/fanout.rs): connect time, delivery
#          latency after the mutation's response, server memory per idle subscriber.
#
# Environment: DURATION (seconds per run, default 20), PERSONAL_PAPERS (papers of the
# personal benchmark, default 1,000,000), PG_URL (server URL, default
# postgres://postgres@127.0.0.1:5432), BACKENDS (default "sqlite postgres"), FANOUT_SIZES
# (subscriber counts on one SQLite instance, default "1000 10000 19000").
# Installs wrk from Debian's packages when missing. Results go to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE="${1:-read}"
DURATION="${DURATION:-20}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
BACKENDS="${BACKENDS:-sqlite postgres}"
PORT=18080
BIN=target/release/paperboard
WORK="$(mktemp -d)"
RESULTS=bench/results
mkdir -p "$RESULTS"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$RESULTS/$MODE-$STAMP.txt"
SERVER_PID=""
SECOND_PID=""

cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  [ -n "$SECOND_PID" ] && kill "$SECOND_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || sudo apt-get install -y wrk; }
cargo build --release --quiet

log() { printf '%s\n' "$*" | tee -a "$OUT"; }

machine() {
  log "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr)"
  log "load generator: $(wrk --version 2>&1 | head -n1), on the same machine"
}

# database_url BACKEND NAME -> prints the URL of a fresh database
fresh_database() {
  local backend="$1" name="$2"
  if [ "$backend" = sqlite ]; then
    rm -rf "$WORK/$name" && mkdir -p "$WORK/$name"
    echo "sqlite://$WORK/$name/paperboard.db?mode=rwc"
  else
    psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null
    psql "$PG_URL/postgres" -qc "CREATE DATABASE $name" >/dev/null
    echo "$PG_URL/$name"
  fi
}

drop_database() {
  local backend="$1" name="$2"
  if [ "$backend" = postgres ]; then
    psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null
  fi
}

generate() {
  local url="$1"; shift
  log "\$ paperboard generate $*"
  PAPERBOARD_LOG=warn "$BIN" generate --database-url "$url" "$@" | tee -a "$OUT"
}

start_server() {
  local url="$1"
  # The hourly budget of cost points would throttle a load test within seconds.
  PAPERBOARD_COST_POINTS_PER_HOUR="${PAPERBOARD_COST_POINTS_PER_HOUR:-0}" PAPERBOARD_LOG=warn "$BIN" serve --database-url "$url" --data-dir "$WORK" --bind "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  wait_healthy "$PORT" "$WORK/server.log"
}

# wait_healthy PORT LOG
wait_healthy() {
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$2"; exit 1
}

stop_server() {
  local peak
  peak=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
  log "server peak RSS: $((peak / 1024)) MiB"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# load SCRIPT CONNECTIONS LABEL
load() {
  local script="$1" connections="$2" label="$3"
  local threads=$(( connections < 2 ? connections : 2 ))
  wrk -t"$threads" -c"$connections" -d3s -s "$script" "http://127.0.0.1:$PORT/graphql" >/dev/null
  local cmd="wrk -t$threads -c$connections -d${DURATION}s --latency -s $script http://127.0.0.1:$PORT/graphql"
  local report
  report="$($cmd)"
  printf '%s\n' "$report" >"$WORK/last-report"
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$report")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$report")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$report")
  errors=$(grep -E "Non-2xx|Socket errors" <<<"$report" || true)
  log "$label: $rps req/s, p50 $p50, p99 $p99 ${errors:+($errors)}"
  log "  \$ $cmd"
}

arxiv_script() {
  local url="$1" backend="$2" ids
  if [ "$backend" = sqlite ]; then
    local file="${url#sqlite://}"
    ids=$(sqlite3 "${file%%\?*}" "SELECT arxiv_id FROM papers ORDER BY random() LIMIT 1000")
  else
    ids=$(psql "$url" -Atc "SELECT arxiv_id FROM papers ORDER BY random() LIMIT 1000")
  fi
  {
    echo 'local ids = {'
    sed 's/.*/  "&",/' <<<"$ids"
    echo '}'
    cat bench/paper-by-arxiv.lua
  } >"$WORK/arxiv.lua"
  echo "$WORK/arxiv.lua"
}

read_benchmark() {
  machine
  for backend in $BACKENDS; do
    log ""
    log "== $backend, 100,000 papers =="
    local url
    url=$(fresh_database "$backend" paperboard_bench)
    generate "$url"
    start_server "$url"
    load bench/front-page.lua 32 "front page (20 papers with authors)"
    load "$(arxiv_script "$url" "$backend")" 32 "paper by arXiv id"
    stop_server
    drop_database "$backend" paperboard_bench
  done
}

# serve_generated BACKEND PAPERS NAME : starts the server on a fresh database NAME filled by
# the generator with PAPERS papers (1.5 authors per paper, 20,000 users, 1,000,000 upvotes)
serve_generated() {
  local backend="$1" papers="$2" name="$3" url
  log ""
  log "== $backend, $papers papers =="
  url=$(fresh_database "$backend" "$name")
  generate "$url" --papers "$papers" --authors $((papers * 3 / 2)) --users 20000 --upvotes 1000000
  start_server "$url"
}

scale_benchmark() {
  machine
  for backend in $BACKENDS; do
    for papers in 10000 1000000; do
      serve_generated "$backend" "$papers" paperboard_scale
      load bench/front-page.lua 1 "front page, 1 connection"
      load bench/front-page.lua 32 "front page, 32 connections"
      load bench/daily.lua 1 "dailyPapers (latest day), 1 connection"
      load bench/trending.lua 1 "trendingPapers (WEEK), 1 connection"
      load bench/top.lua 1 "papers by upvotes, 1 connection"
      stop_server
      drop_database "$backend" paperboard_scale
    done
  done
}

login_benchmark() {
  machine
  local password="benchmark password"
  log ""
  log "== sqlite, 100,000 papers, 20,000 users with a known password =="
  local url
  url=$(fresh_database sqlite paperboard_login)
  PAPERBOARD_GENERATE_PASSWORD="$password" generate "$url"
  # Logins come from one address: let the throttle allow them all.
  PAPERBOARD_LOGIN_CLIENT_ATTEMPTS=1000000 start_server "$url"
  log "front page alone:"
  load bench/front-page.lua 8 "  front page, 8 connections"
  log "logins alone:"
  BENCH_PASSWORD="$password" load bench/login.lua 16 "  login, 16 connections"
  grep -h "failed logins" "$WORK/last-report" | sed 's/^/  /' | tee -a "$OUT"
  log "both at once:"
  BENCH_PASSWORD="$password" wrk -t1 -c16 -d$((DURATION + 4))s --latency -s bench/login.lua "http://127.0.0.1:$PORT/graphql" >"$WORK/concurrent-logins" &
  local logins=$!
  sleep 2
  load bench/front-page.lua 8 "  front page, 8 connections, during logins"
  wait "$logins"
  log "  login during the run: $(awk '/Requests\/sec/ {print $2}' "$WORK/concurrent-logins") req/s, p99 $(awk '$1 == "99%" {print $2}' "$WORK/concurrent-logins")"
  stop_server
}

# tokens_lua COUNT -> a Lua table of access tokens of user000001…COUNT
tokens_lua() {
  local count="$1" password="$2"
  echo 'local tokens = {'
  for i in $(seq 1 "$count"); do
    local name
    name=$(printf 'user%06d' "$i")
    curl -s "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
      -d "{\"query\":\"mutation { login(input: {usernameOrEmail: \\\"$name\\\", password: \\\"$password\\\"}) { accessToken } }\"}" \
      | python3 -c 'import json,sys; print("  \"" + json.load(sys.stdin)["data"]["login"]["accessToken"] + "\",")'
  done
  echo '}'
}

papers_lua() {
  echo 'local papers = {'
  python3 -c 'import base64
for i in range(99001, 100001):
    print("  \"" + base64.urlsafe_b64encode(f"Paper:{i}".encode()).decode().rstrip("=") + "\",")'
  echo '}'
}

count_mismatches() {
  local backend="$1" url="$2"
  local sql="SELECT COUNT(*) FROM papers p WHERE p.upvote_count <> p.upvote_baseline + (SELECT COUNT(*) FROM upvotes u WHERE u.paper_id = p.id)"
  if [ "$backend" = sqlite ]; then
    local file="${url#sqlite://}"
    sqlite3 "${file%%\?*}" "$sql"
  else
    psql "$url" -Atc "$sql"
  fi
}

upvotes_benchmark() {
  machine
  local password="benchmark password"
  for backend in $BACKENDS; do
    log ""
    log "== $backend, 100,000 papers, 1,000,000 upvotes, 64 signed-in clients =="
    local url
    url=$(fresh_database "$backend" paperboard_upvotes)
    PAPERBOARD_GENERATE_PASSWORD="$password" generate "$url"
    PAPERBOARD_UPVOTES_PER_MINUTE=1000000000 PAPERBOARD_LOGIN_CLIENT_ATTEMPTS=1000000 start_server "$url"
    { tokens_lua 64 "$password"; papers_lua; cat bench/upvote.lua; } >"$WORK/upvote.lua"
    load "$WORK/upvote.lua" 64 "upvote or remove (50/50), 64 connections"
    grep -h "failed mutations" "$WORK/last-report" | sed 's/^/  /' | tee -a "$OUT"
    log "  papers whose upvoteCount differs from baseline + upvote rows: $(count_mismatches "$backend" "$url")"
    { tokens_lua 1 "$password" | sed -n 2p | sed 's/^ *\(.*\),$/local token = \1/'; cat bench/front-page-signed-in.lua; } >"$WORK/signed-in.lua"
    load "$WORK/signed-in.lua" 32 "front page with viewerHasUpvoted, signed in, 32 connections"
    stop_server
    drop_database "$backend" paperboard_upvotes
  done
}

# count_comment_mismatches BACKEND URL -> papers whose commentCount differs from their rows
count_comment_mismatches() {
  local backend="$1" url="$2"
  local sql="SELECT COUNT(*) FROM papers p LEFT JOIN (SELECT paper_id, COUNT(*) AS n FROM comments WHERE NOT deleted GROUP BY paper_id) c ON c.paper_id = p.id WHERE p.comment_count <> COALESCE(c.n, 0)"
  if [ "$backend" = sqlite ]; then
    local file="${url#sqlite://}"
    sqlite3 "${file%%\?*}" "$sql"
  else
    psql "$url" -Atc "$sql"
  fi
}

# paper_page_lua TOKEN PAPERS_LUA -> the paper-page script for that viewer and those papers
paper_page_lua() {
  printf '%s\n' "$2"
  printf 'local token = "%s"\n' "$1"
  cat bench/paper-comments.lua
}

comments_benchmark() {
  machine
  local password="benchmark password"
  for backend in $BACKENDS; do
    log ""
    log "== $backend, 100,000 papers, 1,000,000 comments =="
    local url
    url=$(fresh_database "$backend" paperboard_comments)
    PAPERBOARD_GENERATE_PASSWORD="$password" generate "$url" --comments 1000000
    PAPERBOARD_COMMENTS_PER_HOUR=1000000000 PAPERBOARD_LOGIN_CLIENT_ATTEMPTS=1000000 start_server "$url"
    local recent token busiest
    recent="$(papers_lua)"
    token=$(tokens_lua 1 "$password" | sed -n 2p | sed 's/^ *"\(.*\)",$/\1/')
    busiest='local papers = { "UGFwZXI6MTAwMDAw" }'
    log "busiest paper: $(curl -s "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
      -d '{"query":"{ paper(id: \"UGFwZXI6MTAwMDAw\") { commentCount } }"}')"
    paper_page_lua "" "$recent" >"$WORK/page-anonymous.lua"
    load "$WORK/page-anonymous.lua" 32 "paper page with threads, 1,000 newest papers, anonymous, 32 connections"
    grep -h "failed requests" "$WORK/last-report" | sed 's/^/  /' | tee -a "$OUT"
    paper_page_lua "$token" "$recent" >"$WORK/page-signed-in.lua"
    load "$WORK/page-signed-in.lua" 32 "paper page with threads, 1,000 newest papers, signed in (shared answer, personalised), 32 connections"
    grep -h "failed requests" "$WORK/last-report" | sed 's/^/  /' | tee -a "$OUT"
    paper_page_lua "$token" "$busiest" >"$WORK/page-busiest.lua"
    load "$WORK/page-busiest.lua" 32 "paper page of the busiest paper, signed in, 32 connections"
    grep -h "failed requests" "$WORK/last-report" | sed 's/^/  /' | tee -a "$OUT"
    { tokens_lua 64 "$password"; printf '%s\n' "$recent"; cat bench/add-comment.lua; } >"$WORK/add-comment.lua"
    load "$WORK/add-comment.lua" 64 "addComment, 64 signed-in clients"
    grep -h "failed mutations" "$WORK/last-report" | sed 's/^/  /' | tee -a "$OUT"
    log "  papers whose commentCount differs from their comment rows: $(count_comment_mismatches "$backend" "$url")"
    stop_server
    drop_database "$backend" paperboard_comments
  done
}

# Queries over the generator's vocabulary, whose words are drawn with Zipf's law: the word of
# frequency rank r appears in a share of the papers that does not depend on their number.
SEARCH_QUERIES=(
  "mekeba|one word (vocabulary rank 1,000)"
  "vesaba mekeba|two words (ranks 300 and 1,000)"
  '"network token"|phrase (ranks 20 and 30)'
  "mekepa|rare word (rank 10,000)"
  "network|common word (rank 20)"
)

search_benchmark() {
  machine
  for backend in $BACKENDS; do
    for papers in 100000 1000000; do
      serve_generated "$backend" "$papers" paperboard_search
      local entry query label json matches
      for entry in "${SEARCH_QUERIES[@]}"; do
        query="${entry%%|*}" label="${entry#*|}"
        json=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$query")
        matches=$(curl -s "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
          -d "{\"query\":\"query(\$q: String!) { searchPapers(query: \$q) { totalCount } }\",\"variables\":{\"q\":$json}}" \
          | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["searchPapers"]["totalCount"])')
        SEARCH_QUERY_JSON="$json" load bench/search.lua 1 "$label: $query ($matches matches), 1 connection"
      done
      stop_server
      drop_database "$backend" paperboard_search
    done
  done
}

# access_token USERNAME -> registers the user on the running server and prints a token
access_token() {
  curl -s "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
    -d "{\"query\":\"mutation { register(input: {username: \\\"$1\\\", email: \\\"$1@example.org\\\", password: \\\"benchmark password\\\"}) { accessToken } }\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["register"]["accessToken"])'
}

# fanout TOKEN SUBSCRIBERS PIDS WS_URL… : one run of the fan-out client
fanout() {
  local token="$1" subscribers="$2" pids="$3"; shift 3
  log "\$ FANOUT_SERVER_PIDS=… target/release/examples/fanout $subscribers TOKEN http://127.0.0.1:$PORT/graphql $*"
  FANOUT_SERVER_PIDS="$pids" target/release/examples/fanout "$subscribers" "$token" \
    "http://127.0.0.1:$PORT/graphql" "$@" | sed 's/^/  /' | tee -a "$OUT"
}

fanout_benchmark() {
  # Each subscriber holds one socket in the server and one in the client.
  ulimit -n 20000
  cargo build --release --quiet --example fanout
  machine
  log "open files per process: $(ulimit -n); client: examples/fanout.rs (tokio-tungstenite, graphql-transport-ws)"
  local ws="ws://127.0.0.1:$PORT/graphql"
  local url run
  for subscribers in ${FANOUT_SIZES:-1000 10000 19000}; do
    case " $BACKENDS " in *" sqlite "*) ;; *) break ;; esac
    for run in 1 2 3; do
      log ""
      log "== sqlite, one instance, $subscribers subscribers, run $run of 3 (fresh server) =="
      url=$(fresh_database sqlite paperboard_fanout)
      start_server "$url"
      fanout "$(access_token bench)" "$subscribers" "$SERVER_PID" "$ws"
      stop_server
    done
  done
  local second=$((PORT + 1))
  case " $BACKENDS " in *" postgres "*) ;; *) return ;; esac
  for run in 1 2 3; do
    log ""
    log "== postgres, two instances on one database, 9,000 subscribers each, run $run of 3 =="
    url=$(fresh_database postgres paperboard_fanout)
    start_server "$url"
    PAPERBOARD_COST_POINTS_PER_HOUR="${PAPERBOARD_COST_POINTS_PER_HOUR:-0}" PAPERBOARD_LOG=warn "$BIN" serve --database-url "$url" --data-dir "$WORK" --bind "127.0.0.1:$second" >"$WORK/second.log" 2>&1 &
    SECOND_PID=$!
    wait_healthy "$second" "$WORK/second.log"
    fanout "$(access_token bench)" 18000 "$SERVER_PID,$SECOND_PID" "$ws" "ws://127.0.0.1:$second/graphql"
    kill "$SECOND_PID"; wait "$SECOND_PID" 2>/dev/null || true
    SECOND_PID=""
    stop_server
    drop_database postgres paperboard_fanout
  done
}

personal_benchmark() {
  ulimit -n 20000
  cargo build --release --quiet --example fanout
  machine
  local password="benchmark password" secret="personal-benchmark-secret-of-32-bytes-or-more"
  local papers="${PERSONAL_PAPERS:-1000000}"
  for backend in $BACKENDS; do
    log ""
    log "== $backend, $papers papers, 200,000 follows, 20,000 collections, 1,000,000 notifications =="
    local url
    url=$(fresh_database "$backend" paperboard_personal)
    PAPERBOARD_GENERATE_PASSWORD="$password" generate "$url" --papers "$papers" --authors $((papers * 3 / 2)) \
      --users 20000 --upvotes 1000000 --follows 200000 --collections 20000 --notifications 1000000
    JWT_SECRET="$secret" PAPERBOARD_LOGIN_CLIENT_ATTEMPTS=1000000 start_server "$url"
    local tokens light heavy author
    tokens=$(tokens_lua 2 "$password")
    light=$(sed -n 2p <<<"$tokens" | sed 's/^ *\(.*\),$/local token = \1/')
    heavy=$(sed -n 3p <<<"$tokens" | sed 's/^ *\(.*\),$/local token = \1/')
    { printf '%s\n' "$light"; cat bench/feed.lua; } >"$WORK/feed-light.lua"
    { printf '%s\n' "$heavy"; cat bench/feed.lua; } >"$WORK/feed-heavy.lua"
    load "$WORK/feed-light.lua" 32 "feed, first page, user following 10 authors, 32 connections"
    grep -h "failed requests" "$WORK/last-report" | sed 's/^/  /' | tee -a "$OUT"
    load "$WORK/feed-heavy.lua" 32 "feed, first page, user following 1,000 authors and 20 categories, 32 connections"
    grep -h "failed requests" "$WORK/last-report" | sed 's/^/  /' | tee -a "$OUT"
    author=$(curl -s "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
      -d '{"query":"{ author(id: \"QXV0aG9yOjE\") { name followerCount } }"}' \
      | python3 -c 'import json,sys; a=json.load(sys.stdin)["data"]["author"]; print(a["name"] + "|" + str(a["followerCount"]))')
    log "notification fan-out: a paper by ${author%%|*} (${author#*|} followers), every follower subscribed"
    FANOUT_INBOX_FIRST_USER=3 FANOUT_JWT_SECRET="$secret" FANOUT_AUTHOR="${author%%|*}" \
      fanout "$(sed -n 2p <<<"$tokens" | sed 's/^ *"\(.*\)",$/\1/')" 10000 "$SERVER_PID" "ws://127.0.0.1:$PORT/graphql"
    stop_server
    drop_database "$backend" paperboard_personal
  done
}

# harvest_run URL LABEL : one `paperboard sync arxiv` of the whole fixture harvest, timed
harvest_run() {
  local url="$1" label="$2" started finished summary seconds
  started=$(date +%s.%N)
  summary=$(PAPERBOARD_LOG=warn PAPERBOARD_ARXIV_OAI_URL="http://127.0.0.1:$OAI_PORT/oai" \
    PAPERBOARD_ARXIV_REQUEST_INTERVAL_MS=0 "$BIN" sync arxiv --set cs --database-url "$url" --data-dir "$WORK" | tail -n1)
  finished=$(date +%s.%N)
  seconds=$(echo "$finished - $started" | bc -l)
  log "$label: $summary in $(printf '%.2f' "$seconds") s: $(printf '%.0f' "$(echo "$HARVEST_RECORDS / $seconds" | bc -l)") records/s"
  log "  \$ PAPERBOARD_ARXIV_OAI_URL=http://127.0.0.1:$OAI_PORT/oai PAPERBOARD_ARXIV_REQUEST_INTERVAL_MS=0 paperboard sync arxiv --set cs"
}

harvest_benchmark() {
  cargo build --release --quiet --example oai_server
  machine
  OAI_PORT=$((PORT + 10))
  HARVEST_RECORDS=50000
  target/release/examples/oai_server "$OAI_PORT" 100 500 >"$WORK/oai.log" 2>&1 &
  SECOND_PID=$!
  sleep 1
  log "fixture: examples/oai_server.rs, 100 pages of 500 OAI-PMH records (arXiv format), no politeness delay"
  local url report
  for backend in $BACKENDS; do
    log ""
    log "== $backend =="
    url=$(fresh_database "$backend" paperboard_harvest)
    start_server "$url"
    # The front page is read by 8 connections for as long as the first harvest runs.
    wrk -t2 -c8 -d60s --latency -s bench/front-page.lua "http://127.0.0.1:$PORT/graphql" >"$WORK/during" &
    local wrk_pid=$!
    harvest_run "$url" "first run (every record new)"
    kill -INT "$wrk_pid" 2>/dev/null || true
    wait "$wrk_pid" 2>/dev/null || true
    report=$(cat "$WORK/during")
    log "front page meanwhile (wrk -t2 -c8, anonymous): $(awk '/Requests\/sec/ {print $2}' <<<"$report") req/s, p50 $(awk '$1 == "50%" {print $2}' <<<"$report"), p99 $(awk '$1 == "99%" {print $2}' <<<"$report")"
    harvest_run "$url" "re-run (every record unchanged)"
    stop_server
    drop_database "$backend" paperboard_harvest
  done
}

case "$MODE" in
  read) read_benchmark ;;
  scale) scale_benchmark ;;
  login) login_benchmark ;;
  upvotes) upvotes_benchmark ;;
  comments) comments_benchmark ;;
  fanout) fanout_benchmark ;;
  personal) personal_benchmark ;;
  search) search_benchmark ;;
  harvest) harvest_benchmark ;;
  *) echo "usage: bench/run.sh [read|scale|login|upvotes|comments|fanout|search|harvest]" >&2; exit 2 ;;
esac
log ""
log "results: $OUT"
