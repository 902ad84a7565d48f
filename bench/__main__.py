"""``python -m bench``: see :mod:`bench.harness` and bench/README.md."""

import sys

from bench.harness import main

sys.exit(main())
