-- wrk script body: a paper page with its discussion — 20 top-level comments by votes, the
-- first 5 replies of each, authors and viewer fields — of a random paper among `papers`.
-- bench/run.sh prepends `local papers = {...}` (global ids) and `local token = "..."`
-- (empty: anonymous, whose answers the server may share).
wrk.method = "POST"

local page = "query($p: ID!) { paper(id: $p) { title commentCount comments(first: 20, orderBy: TOP) { nodes { id bodyHtml createdAt upvoteCount replyCount viewerHasUpvoted viewerCanEdit author { username } replies(first: 5) { nodes { id bodyHtml createdAt upvoteCount viewerHasUpvoted author { username } } } } } } }"

request = function()
  local headers = { ["Content-Type"] = "application/json" }
  if token ~= "" then
    headers["Authorization"] = "Bearer " .. token
  end
  local body = '{"query":"' .. page .. '","variables":{"p":"' .. papers[math.random(#papers)] .. '"}}'
  return wrk.format(nil, nil, headers, body)
end

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
  io.write(string.format("%s: %d\n", "failed requests", total))
end
