-- wrk script: trending ({ trendingPapers(first: 20) { nodes { id title upvoteCount authors { name } } } })
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"{ trendingPapers(first: 20) { nodes { id title upvoteCount authors { name } } } }"}'
