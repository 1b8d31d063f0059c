-- wrk script: log in as a random generated user (user000001 … user020000), all sharing the
-- password given to `paperboard generate --password`.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local password = os.getenv("BENCH_PASSWORD") or "benchmark password"
local users = tonumber(os.getenv("BENCH_USERS") or "20000")

request = function()
  local name = string.format("user%06d", math.random(users))
  local body = '{"query":"mutation($i: LoginInput!) { login(input: $i) { accessToken } }",'
    .. '"variables":{"i":{"usernameOrEmail":"' .. name .. '","password":"' .. password .. '"}}}'
  return wrk.format(nil, nil, nil, body)
end

-- Answers with GraphQL errors are failures too (wrk counts only HTTP ones). Each thread
-- has its own Lua state: its count is read back through the thread object in done().
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

failures = 0

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("failures")
  end
  io.write(string.format("%s: %d\n", "failed logins", total))
end
