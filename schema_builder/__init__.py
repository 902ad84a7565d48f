"""Entity definitions, the catalog built from them, and the operations that serve them."""
