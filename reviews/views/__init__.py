"""Pages of the review app, one module per group: reports, scoring, cycles, ballots."""
