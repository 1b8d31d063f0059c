-- wrk script body: look up a random paper by arXiv id. bench/run.sh prepends
-- `local ids = { ... }` with 1,000 arXiv ids drawn from the benchmark database.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local query = "query($a: String) { paper(arxivId: $a) { id title abstract publishedAt upvoteCount authors { name } } }"

request = function()
  local id = ids[math.random(#ids)]
  local body = '{"query":"' .. query .. '","variables":{"a":"' .. id .. '"}}'
  return wrk.format(nil, nil, nil, body)
end
