"""The store: the engine boundary (``engine``) and the table definitions (``tables``)."""
