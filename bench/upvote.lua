-- wrk script body: upvote or remove the upvote of a random paper as a random signed-in user.
-- bench/run.sh prepends `local tokens = {...}` (access tokens of 64 users) and
-- `local papers = {...}` (global ids of 1,000 recent papers).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local upvote = "mutation($p: ID!) { upvotePaper(paperId: $p) { paper { upvoteCount viewerHasUpvoted } } }"
local remove = "mutation($p: ID!) { removeUpvote(paperId: $p) { paper { upvoteCount viewerHasUpvoted } } }"

request = function()
  local query = upvote
  if math.random(2) == 1 then
    query = remove
  end
  local body = '{"query":"' .. query .. '","variables":{"p":"' .. papers[math.random(#papers)] .. '"}}'
  -- Headers given to wrk.format replace wrk.headers: repeat the content type.
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)],
  }
  return wrk.format(nil, nil, headers, body)
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
  io.write(string.format("%s: %d\n", "failed mutations", total))
end
