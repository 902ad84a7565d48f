"""dexgate's benchmark: ``python -m bench [--quick]`` (see bench/README.md).

Builds the peer bed's dataset in a PostgreSQL database of its own, serves it with dexgate and
measures scenarios A-E against the raw database rate and, when installed, PostGraphile and
Directus; writes JSON, Markdown and a PNG chart into ``bench/results/``.
"""
