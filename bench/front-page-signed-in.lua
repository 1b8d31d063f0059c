-- wrk script body: the front page with viewerHasUpvoted, as a signed-in viewer.
-- bench/run.sh prepends `local token = "..."`.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.body = '{"query":"{ papers(first: 20) { nodes { id title abstract publishedAt submittedAt upvoteCount viewerHasUpvoted authors { name } } } }"}'
