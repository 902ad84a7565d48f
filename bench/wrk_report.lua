-- wrk -s bench/wrk_report.lua URL: the request python -m bench drives, and its result as JSON.
--   BENCH_API_KEY  sent as X-Api-Key on every request (when set)
--   BENCH_METHOD   the method (default GET; POST when a body is given)
--   BENCH_BODY     a JSON request body (for GraphQL)
-- At the end wrk prints one line, "BENCH_RESULT {...}", that bench/load.py reads: requests/s,
-- latency mean and percentiles in ms, socket errors and responses that were not 2xx/3xx.
local key = os.getenv("BENCH_API_KEY")
if key and key ~= "" then wrk.headers["X-Api-Key"] = key end
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
local method = os.getenv("BENCH_METHOD")
if method and method ~= "" then wrk.method = method end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "rps": %.2f, "mean_ms": %.3f, '
    .. '"p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, '
    .. '"socket_errors": %d, "non2xx": %d, "bytes": %d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency.mean / 1000, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.connect + e.read + e.write + e.timeout, e.status, summary.bytes))
end
