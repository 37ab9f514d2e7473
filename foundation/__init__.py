"""Shared plumbing that belongs to no domain: every app may import it, and it imports none of them.

- `errors`: DomainError (a business rule refused the action) and the small checks every service uses.
- `bulk`: writing many rows at once (COPY on PostgreSQL).
- `concurrency`: fingerprints against lost updates.
- `excel`: the Excel writer every export uses.
- `files`: evidence files (type checked by content, stored under a random name).
- `client`: the address a request came from.
- `queue`: queueing a Celery task, or leaving it to its periodic sweep when the broker is down.
"""
