-- wrk script body: addComment on a random paper as a random signed-in user.
-- bench/run.sh prepends `local tokens = {...}` (access tokens of 64 users) and
-- `local papers = {...}` (global ids of 1,000 recent papers).
wrk.method = "POST"

local add = "mutation($i: AddCommentInput!) { addComment(input: $i) { comment { id bodyHtml createdAt } } }"
local counter = 0

request = function()
  counter = counter + 1
  local input = '{"paperId":"' .. papers[math.random(#papers)] .. '","body":"A **benchmark** comment, number ' .. counter .. ', with [a link](https://example.org)."}'
  local body = '{"query":"' .. add .. '","variables":{"i":' .. input .. '}}'
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)],
  }
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
  io.write(string.format("%s: %d\n", "failed mutations", total))
end
