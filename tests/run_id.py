"""The identifier of this test run, in the names of the databases it creates (and drops)."""

from __future__ import annotations

import uuid

RUN_ID = uuid.uuid4().hex[:8]
