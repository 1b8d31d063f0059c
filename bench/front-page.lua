-- wrk script: POST the front-page query (20 papers with title, abstract, dates,
-- upvoteCount and author names).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"{ papers(first: 20) { nodes { id title abstract publishedAt submittedAt upvoteCount authors { name } } } }"}'
