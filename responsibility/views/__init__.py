"""Pages of the responsibility app, one module per group: lists, records, progress."""
