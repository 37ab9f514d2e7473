"""Pages of rectification, one module per group: tasks, board (findings, ledger, disclosure), inspections."""
