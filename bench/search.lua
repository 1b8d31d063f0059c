-- wrk script: one search results page (20 papers with title, snippet and author names)
-- for the query in SEARCH_QUERY_JSON (a JSON string literal, quotes included).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"query($q: String!) { searchPapers(query: $q, first: 20) { nodes { id title searchSnippet authors { name } } } }","variables":{"q":'
  .. os.getenv("SEARCH_QUERY_JSON") .. '}}'
