"""The province-scale benchmark behind `make bench` (docs/benchmarks.md, "Province-scale benchmark").

`python -m bench.run` seeds (or reuses) the bench databases, starts gunicorn under production
settings and measures pages, query counts, PDF rendering, the reminder sweep and the tree
strategies; `bench.child` runs each in-process measurement in its own process so its peak
memory is its own.
"""
