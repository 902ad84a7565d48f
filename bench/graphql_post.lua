-- wrk -s bench/graphql_post.lua URL: POSTs the query in the GRAPHQL_QUERY environment variable.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local query = os.getenv("GRAPHQL_QUERY") or "{ products(limit: 100) { items { sku } } }"
wrk.body = '{"query": "' .. query:gsub('"', '\\"') .. '"}'
