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

-- Count answers that are not a successful login (wrk only counts HTTP errors).
local failures = 0
response = function(status, headers, body)
  if status ~= 200 or not string.find(body, "accessToken", 1, true) then
    failures = failures + 1
  end
end

done = function(summary, latency, requests)
  io.write(string.format("failed logins: %d\n", failures))
end
