"""The operations layer: one implementation of list/get/create/update/upsert/delete that every
transport calls. Each operation plans from the catalog, compiles SQLAlchemy Core statements and
executes them; only the execute step touches a connection."""
