-- wrk script body: the first page of the viewer's personal feed.
-- bench/run.sh prepends `local token = "..."`.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.body = '{"query":"{ feed(first: 20) { pageInfo { endCursor } nodes { id title submittedAt upvoteCount authors { name } } } }"}'

local failures = 0

function response(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) then
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  io.write(string.format("failed requests: %d\n", failures))
end
