"""One in-process measurement in a process of its own: `python -m bench.child TASK [ARG] --out FILE`.

The driver sets the environment (production settings, the bench database) and reads the JSON the
task writes to FILE, and the process's peak memory from `os.wait4`.

Tasks: prepare LOGINS_JSON, pages LOGINS_JSON, queries LOGINS_JSON, tree LOGINS_JSON,
pdf-org LOGINS_JSON, pdf-summary LOGINS_JSON, pdf-bare HTML_FILE, sweep-reset, sweep, sweep-count,
analyze.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("task")
    parser.add_argument("arg", nargs="?", default="")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--html", type=Path, help="pdf-org / pdf-summary: where to save the built HTML")
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    result = run(options.task, options.arg, options.html)
    options.out.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


def run(task: str, arg: str, html: Path | None) -> Any:
    from bench import pages

    if task == "pdf-bare":
        from bench.pdf import pdf_bare

        return pdf_bare(Path(arg))
    if task == "sweep-reset":
        from bench.sweep import sweep_reset

        return sweep_reset()
    if task == "sweep-count":
        from bench.sweep import sweep_count

        return sweep_count()
    if task == "sweep":
        from bench.sweep import sweep_run

        return sweep_run()
    if task == "analyze":
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        return {}
    logins = json.loads(arg)
    if task == "prepare":
        return pages.prepare_logins(logins)
    if task == "pages":
        return [page.as_dict() for page in pages.discover(logins)]
    if task == "queries":
        return pages.query_counts(logins)
    if task == "tree":
        from bench import tree_strategies

        build = tree_strategies.tree_build()
        return {
            "table_build_seconds": round(build, 3),
            "users": {
                role: tree_strategies.compare(pages.User.objects.get(username=logins[role]))
                for role in ("province", "county")
            },
        }
    if task in {"pdf-org", "pdf-summary"}:
        from bench.pdf import pdf_full
        from workbench.models import RenderedReport

        assert html is not None
        if task == "pdf-org":
            organization = pages.branch_of(pages.User.objects.get(username=logins["secretary"]))
            return pdf_full(organization, RenderedReport.Kind.ORGANIZATION, html)
        organization = pages.committee_of(pages.User.objects.get(username=logins["county"]))
        return pdf_full(organization, RenderedReport.Kind.SUMMARY, html)
    raise SystemExit(f"unknown task {task}")


if __name__ == "__main__":
    main()
