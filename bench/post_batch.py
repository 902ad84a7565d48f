"""Rows/s for POSTing batches of products: ``python bench/post_batch.py URL [batches] [size]``.

The API key is taken from ``DEXGATE_API_KEY`` (``dexgate apikey create bench --role admin``).

Sends ``batches`` sequential POSTs of ``size`` new products each (unique SKUs per run) to a
running dexgate serving the demo catalog and prints rows/s and the mean time per request.
"""

from __future__ import annotations

import os
import sys
import time
import uuid

import httpx


def main() -> None:
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
    batches = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    run = uuid.uuid4().hex[:6].upper()
    headers = {"X-Api-Key": os.environ.get("DEXGATE_API_KEY", "")}
    with httpx.Client(base_url=base, timeout=120, headers=headers) as client:
        started = time.perf_counter()
        for b in range(batches):
            rows = [
                {
                    "sku": f"B{run}-{b:03d}-{i:05d}",
                    "name": f"Bench product {i}",
                    "price": f"{(i % 9000) + 0.99:.2f}",
                    "category_id": (i % 12) + 1,
                }
                for i in range(size)
            ]
            response = client.post("/dynamic-entity/products", json={"data": rows})
            response.raise_for_status()
        elapsed = time.perf_counter() - started
    total = batches * size
    print(
        f"{total} rows in {batches} POSTs of {size}: {total / elapsed:,.0f} rows/s, "
        f"{elapsed / batches * 1000:.0f} ms per request"
    )


if __name__ == "__main__":
    main()
