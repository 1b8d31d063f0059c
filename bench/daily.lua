-- wrk script: daily ({ dailyPapers(first: 20) { nodes { id title upvoteCount authors { name } } } })
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"{ dailyPapers(first: 20) { nodes { id title upvoteCount authors { name } } } }"}'
