"""What the near-copy check adds to one save, on a database with a province's texts.

    DATABASE_URL=… .venv/bin/python scripts/bench_similarity.py [--seed-orgs N] [--saves 200] [--out FILE]

Times `similarity.services.text_saved` as the report and record services call it, for SAVES report saves
and SAVES record saves, a quarter each of:

- new: a text written afresh for a new object (unrelated to what is stored);
- copy: a new object whose text is another's (a report: another organization's of the same year; a
  record: the organization's own latest record of the kind, word for word);
- changed: a stored text with one sentence rewritten;
- unchanged: a stored text saved again as it is (the common case: a save that changes another field).

Each save runs in a transaction of its own that is rolled back, so a rerun measures the same database:
the time is the check's (signature, candidates, confirmation, the writes), not the COMMIT, which is the
domain save's. With --seed-orgs N the database is first filled by `seed_scale --orgs N --wipe` and
`compare_texts --kind report --kind record` (the texts loaded in bulk get their signatures). Prints p50,
p95 and max in ms and the queries per save, by kind and case, as Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import Organization  # noqa: E402
from responsibility.models import DutyRecord  # noqa: E402
from responsibility.texts import RECORD_TEXT  # noqa: E402
from reviews.models import DutyReport  # noqa: E402
from reviews.texts import REPORT_TEXT, report_text  # noqa: E402
from seeding.scale.texts import RECORD_DETAILS, report_sections  # noqa: E402
from similarity import services, text  # noqa: E402
from similarity.models import TextPair, TextSignature  # noqa: E402

CASES = ("new", "copy", "changed", "unchanged")
WARM_UP = 5


class _RolledBack(Exception):
    pass


def _timed(save: dict[str, Any]) -> tuple[float, int]:
    """One text_saved in a transaction rolled back: its milliseconds and queries."""
    # The query log keeps 9,000 entries: a full log would count no query (after the seed, for one).
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        try:
            with transaction.atomic():
                began = time.perf_counter()
                services.text_saved(**save)
                elapsed = time.perf_counter() - began
                raise _RolledBack
        except _RolledBack:
            pass
    return elapsed * 1000, len(queries.captured_queries)


def _report_content(sections: dict[str, str]) -> str:
    return report_text(DutyReport(sections=sections))


def report_saves(rng: random.Random, count: int) -> list[tuple[str, dict[str, Any]]]:
    """COUNT report saves, the cases in turn, over reports drawn from the database."""
    ids = list(DutyReport.objects.exclude(sections={}).values_list("pk", flat=True))
    if not ids:
        raise SystemExit("no written reports in this database: seed it first (--seed-orgs)")
    chosen = rng.sample(ids, min(count * 2, len(ids)))
    reports = {
        report.pk: report for report in DutyReport.objects.filter(pk__in=chosen).select_related("organization", "cycle")
    }
    next_id = max(ids) + 1_000_000
    saves = []
    for number in range(count):
        case = CASES[number % len(CASES)]
        report = reports[chosen[number]]
        sections = dict(report.sections)
        object_id = report.pk
        if case == "new":
            sections, object_id = report_sections(rng), next_id + number
        elif case == "copy":
            source = reports[chosen[count + number]] if len(chosen) > count + number else report
            sections, object_id = dict(source.sections), next_id + number
        elif case == "changed":
            title = rng.choice(list(sections))
            sections[title] = report_sections(rng)[title] + sections[title][: len(sections[title]) // 2]
        save = {
            "kind": REPORT_TEXT,
            "object_id": object_id,
            "organization": report.organization,
            "year": report.cycle.year,
            "content": _report_content(sections),
            "headings": list(sections),
        }
        saves.append((case, save))
    return saves


def record_saves(rng: random.Random, count: int) -> list[tuple[str, dict[str, Any]]]:
    """COUNT record saves, the cases in turn, over records drawn from the database."""
    last = DutyRecord.objects.order_by("-pk").values_list("pk", flat=True).first()
    if last is None:
        raise SystemExit("no records in this database: seed it first (--seed-orgs)")
    chosen: list[DutyRecord] = []
    while len(chosen) < count:
        picks = [rng.randint(1, last) for _ in range(count)]
        chosen += list(DutyRecord.objects.filter(pk__in=picks).select_related("organization"))
    next_id = last + 1_000_000
    saves = []
    for number in range(count):
        case = CASES[number % len(CASES)]
        record = chosen[number]
        content, object_id = record.content, record.pk
        if case == "new":
            topic = rng.choice(["秋收", "防汛", "换届", "人居环境整治"])
            content = f"结合{topic}工作，{rng.choice(RECORD_DETAILS)}".format(count=30, present=28)
            object_id = next_id + number
        elif case == "copy":
            object_id = next_id + number
        elif case == "changed":
            content = f"{content.split('。')[0]}。{rng.choice(RECORD_DETAILS)}".format(count=30, present=28)
        save = {
            "kind": RECORD_TEXT,
            "object_id": object_id,
            "organization": record.organization,
            "year": record.occurred_on.year,
            "content": content,
        }
        saves.append((case, save))
    return saves


def _figures(timings: list[tuple[float, int]]) -> dict[str, Any]:
    ms = sorted(value for value, _queries in timings)
    cut = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
    return {
        "saves": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(cut[94], 1),
        "max_ms": round(ms[-1], 1),
        "queries": f"{min(q for _, q in timings)}–{max(q for _, q in timings)}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed-orgs", type=int, help="first fill the database with seed_scale --orgs N --wipe")
    parser.add_argument("--saves", type=int, default=200, help="saves of each kind (default 200)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, help="also write the figures as JSON")
    options = parser.parse_args()
    if options.seed_orgs:
        began = time.perf_counter()
        call_command("seed_scale", orgs=options.seed_orgs, wipe=True, verbosity=0)
        seeded = time.perf_counter() - began
        began = time.perf_counter()
        call_command("compare_texts", kind=[REPORT_TEXT, RECORD_TEXT])
        print(f"seed_scale {seeded:.1f} s, compare_texts {time.perf_counter() - began:.1f} s", file=sys.stderr)
    rng = random.Random(options.seed)
    text.words("党建")  # jieba's dictionary loads once a process, before anything is timed
    saves = report_saves(rng, options.saves) + record_saves(rng, options.saves)
    for _case, save in saves[:WARM_UP]:
        _timed(save)
    timings: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for case, save in saves:
        timings.setdefault((save["kind"], case), []).append(_timed(save))
    results: dict[str, Any] = {
        "database": connection.vendor,
        "organizations": Organization.objects.count(),
        "signatures": dict(TextSignature.objects.values_list("kind").order_by("kind").annotate(n=Count("id"))),
        "pairs": TextPair.objects.count(),
        "figures": {},
    }
    lines = [
        "| kind | case | saves | p50 ms | p95 ms | max ms | queries |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for kind in (REPORT_TEXT, RECORD_TEXT):
        every = [timing for (k, _c), values in timings.items() if k == kind for timing in values]
        rows = [(case, timings[(kind, case)]) for case in CASES] + [("all", every)]
        for case, values in rows:
            figures = _figures(values)
            results["figures"][f"{kind}/{case}"] = figures
            lines.append(
                f"| {kind} | {case} | {figures['saves']} | {figures['p50_ms']} | {figures['p95_ms']} | "
                f"{figures['max_ms']} | {figures['queries']} |"
            )
    print(
        f"{results['database']}: {results['organizations']} organizations, signatures {results['signatures']}, "
        f"{results['pairs']} pairs"
    )
    print("\n".join(lines))
    if options.out:
        options.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
