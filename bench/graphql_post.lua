-- wrk -s bench/graphql_post.lua URL: POSTs the query in the GRAPHQL_QUERY environment variable.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
-- the API key from DEXGATE_API_KEY (dexgate apikey create bench --role admin)
wrk.headers["X-Api-Key"] = os.getenv("DEXGATE_API_KEY") or ""
local query = os.getenv("GRAPHQL_QUERY") or "{ products(limit: 100) { items { sku } } }"
wrk.body = '{"query": "' .. query:gsub('"', '\\"') .. '"}'
