#!/usr/bin/env bash
# Requests/s for one REST list page on PostgreSQL with one uvicorn worker, driven by wrk.
# Usage: bench/rest_list.sh [seconds] [connections]
# Needs: the .venv of `make install`, a PostgreSQL server on 127.0.0.1:5432 (user postgres), wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
CONNECTIONS=${2:-16}
PORT=${BENCH_PORT:-8099}
DB=dexgate_bench_rest
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
export DEXGATE_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:5432/$DB"
.venv/bin/dexgate demo >/dev/null
# Measured as users run it: with an API key (admin role), sent on every request.
KEY=$(.venv/bin/dexgate apikey create bench --role admin)
.venv/bin/dexgate serve --port "$PORT" --workers 1 --no-access-log --log-level warning &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.2; done
run() {
    local name=$1 url=$2
    wrk -t2 -c"$CONNECTIONS" -d2s -H "X-Api-Key: $KEY" "$url" >/dev/null  # warm up
    printf '%s\t' "$name"
    wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "X-Api-Key: $KEY" "$url" | awk '/Requests\/sec/ {rps=$2} / 99%/ {p99=$2} END {printf "%s req/s\tp99 %s\n", rps, p99}'
}
BASE="http://127.0.0.1:$PORT/dynamic-entity"
run "products, 100 flat" "$BASE/products?page%5Boffset%5D=0&page%5Blimit%5D=100"
run "products, 100 + stocks,category" "$BASE/products?page%5Boffset%5D=0&page%5Blimit%5D=100&include=stocks,category"
run "product by id" "$BASE/products/42"
