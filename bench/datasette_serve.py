"""Serve one SQLite file with datasette as ``datasette serve -i FILE`` does, without access log.

``python bench/datasette_serve.py FILE PORT METADATA.json``, with the interpreter datasette is
installed for. It builds the application as datasette's own ``serve`` command does (the file
immutable, the metadata that configures datasette-graphql, ``suggest_facets`` off), runs the
start-up hooks and serves it with uvicorn on 127.0.0.1 with one worker. The only difference
from ``datasette serve``: no access log, as dexgate is measured (``--no-access-log``).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import uvicorn

SETTINGS = {"suggest_facets": False}


def main(argv: list[str]) -> None:
    from datasette.app import Datasette  # type: ignore[import-not-found,unused-ignore]

    path, port, metadata = argv
    datasette = Datasette(
        [],
        immutables=[path],
        metadata=json.loads(Path(metadata).read_text()),
        settings=SETTINGS,
    )
    asyncio.run(datasette.invoke_startup())
    uvicorn.run(
        datasette.app(),
        host="127.0.0.1",
        port=int(port),
        log_level="warning",
        access_log=False,
        lifespan="on",
        workers=1,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
