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

SETTINGS = {"suggest_facets": False}
HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> None:
    # Run as a script, this file's folder comes first on sys.path: the bench's own modules
    # must not stand in for datasette's imports.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    import uvicorn
    from datasette.app import Datasette  # type: ignore[import-not-found,import-untyped,unused-ignore]

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
