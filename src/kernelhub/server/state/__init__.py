"""What survives a restart of the server: the state store and its SQLite schema, and re-attaching
to the kernels a previous server left running."""
