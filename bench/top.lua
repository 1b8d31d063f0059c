-- wrk script: top ({ papers(first: 20, orderBy: {field: UPVOTES, direction: DESC}) { nodes { id title upvoteCount authors { name } } } })
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"{ papers(first: 20, orderBy: {field: UPVOTES, direction: DESC}) { nodes { id title upvoteCount authors { name } } } }"}'
