-- wrk script: authors whose name contains NEEDLE (environment; default a substring no
-- name holds), first page of 20 with totalCount.
local needle = os.getenv("NEEDLE") or "zzqx"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"query($n: String!) { authors(nameContains: $n, first: 20) { totalCount nodes { id name } } }","variables":{"n":"'
  .. needle .. '"}}'
