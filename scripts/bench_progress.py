"""Times the committee's progress page and its Excel export on a generated tree.

    .venv/bin/python scripts/bench_progress.py --orgs 2000 20000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/partybuilding .venv/bin/python scripts/bench_progress.py

Each size gets a fresh test database (SQLite in memory, or test_<name> on PostgreSQL,
dropped afterwards): one county committee, townships of about a hundred branches
each, this year's list for nine organizations in ten with four items each, and a
county secretary who opens the page through Django's test client. Paths are
written directly (bulk_create), as treebeard would have numbered them.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Organization, Position, User  # noqa: E402
from responsibility import progress  # noqa: E402
from responsibility.models import (  # noqa: E402
    Category,
    DutyRecord,
    DutyType,
    Light,
    ListItem,
    Period,
    ResponsibilityList,
)
from seeding.scale.people import path_step as step  # noqa: E402

BRANCHES_PER_TOWNSHIP = 100
BATCH = 2000


def build(total: int, year: int, seed: int = 7) -> tuple[User, Organization]:
    """A county with townships and branches, TOTAL organizations in all, with lists and items."""
    rng = random.Random(seed)
    townships = max(1, (total - 1) // (BRANCHES_PER_TOWNSHIP + 1))
    branches = total - 1 - townships
    per_township = [branches // townships + (1 if index < branches % townships else 0) for index in range(townships)]
    Kind, Sector = Organization.Kind, Organization.Sector
    sectors = [Sector.RURAL, Sector.COMMUNITY, Sector.ORGAN, Sector.STATE_ENTERPRISE]
    county_path = step(1)
    organizations = [
        Organization(
            name="基准县委", code="B", kind=Kind.COMMITTEE, path=county_path, depth=1, numchild=townships, sector=""
        )
    ]
    for township_index in range(townships):
        township_path = county_path + step(township_index + 1)
        organizations.append(
            Organization(
                name=f"基准镇{township_index}",
                code=f"B-{township_index}",
                kind=Kind.COMMITTEE,
                sector=Sector.RURAL,
                path=township_path,
                depth=2,
                numchild=per_township[township_index],
            )
        )
        for branch_index in range(per_township[township_index]):
            organizations.append(
                Organization(
                    name=f"基准镇{township_index}第{branch_index}支部",
                    code=f"B-{township_index}-{branch_index}",
                    kind=Kind.BRANCH,
                    sector=rng.choice(sectors),
                    path=township_path + step(branch_index + 1),
                    depth=3,
                    numchild=0,
                )
            )
    Organization.objects.bulk_create(organizations, batch_size=BATCH)

    created = list(Organization.objects.order_by("path").values_list("id", flat=True))
    lists = []
    for organization_id in created:
        if rng.random() < 0.9:
            red, yellow = rng.choice([0, 0, 0, 1, 2]), rng.choice([0, 0, 1, 2])
            green = 4 - min(4, red + yellow)
            required = rng.randint(8, 20)
            lists.append(
                ResponsibilityList(
                    organization_id=organization_id,
                    year=year,
                    status=rng.choice(ResponsibilityList.Status.values),
                    warning=Light.RED if red else Light.YELLOW if yellow else Light.GREEN,
                    red_items=red,
                    yellow_items=yellow,
                    green_items=green,
                    late_items=rng.choice([0, 0, 1]),
                    required_total=required,
                    done_total=rng.randint(0, required),
                )
            )
    ResponsibilityList.objects.bulk_create(lists, batch_size=BATCH)
    category = Category.objects.order_by("id").first()
    assert category is not None
    list_ids = ResponsibilityList.objects.filter(year=year).values_list("id", flat=True)
    duties = [DutyType.ORGANIZATION, DutyType.FIRST, DutyType.DIRECT, DutyType.DUAL]
    ListItem.objects.bulk_create(
        (
            ListItem(
                list_id=list_id,
                category=category,
                duty_type=duty,
                content=f"条目{order}",
                target_period=Period.QUARTER,
                target_count=1,
                order=order,
            )
            for list_id in list_ids
            for order, duty in enumerate(duties, start=1)
        ),
        batch_size=BATCH,
    )
    secretary = User.objects.create(username=f"bench-{total}", full_name="基准书记")
    county = Organization.objects.get(path=county_path)
    Position.objects.create(person=secretary, organization=county, role=Position.Role.SECRETARY)
    # Statistics as autovacuum (PostgreSQL) or a periodic ANALYZE (SQLite) would have them after a bulk load.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return secretary, county


def measure(call: Callable[[], Any], runs: int = 3) -> tuple[float, int, Any]:
    """Median milliseconds over RUNS after one warm-up, the query count, and the last result."""
    call()
    timings = []
    result: Any = None
    queries = 0
    for _run in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = call()
            timings.append((time.perf_counter() - started) * 1000)
        queries = len(captured)
    return statistics.median(timings), queries, result


def nightly_refresh(secretary: User, year: int) -> tuple[str, float, int, str]:
    """Gives every item 0-3 records this year, then times the nightly recomputation of every light."""
    rng = random.Random(11)
    today = timezone.localdate()
    days_so_far = (today - date(year, 1, 1)).days
    items = ListItem.objects.values_list("id", "list__organization_id")
    records = [
        DutyRecord(
            item_id=item_id,
            organization_id=organization_id,
            occurred_on=date(year, 1, 1) + timedelta(days=rng.randint(0, days_so_far)),
            content="基准记实",
            done_by=secretary,
            created_by=secretary,
            submitted_at=timezone.now(),
        )
        for item_id, organization_id in items
        for _record in range(rng.randint(0, 3))
    ]
    DutyRecord.objects.bulk_create(records, batch_size=BATCH)
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        refreshed = progress.refresh_stale(today=today)
        milliseconds = (time.perf_counter() - started) * 1000
    note = f"{refreshed} 个条目，{len(records)} 条记实"
    return ("refresh_warnings（夜间全量重算）", milliseconds, len(captured), note)


def bench(total: int) -> list[tuple[str, float, int, str]]:
    year = timezone.localdate().year
    started = time.perf_counter()
    secretary, _county = build(total, year)
    built = time.perf_counter() - started
    township = Organization.objects.filter(depth=2).order_by("path").first()
    assert township is not None
    client = Client()
    client.force_login(secretary)
    page = reverse("progress_overview")
    export = reverse("progress_export")

    def get(url: str, query: dict[str, Any] | None = None) -> Any:
        response = client.get(url, query or {})
        assert response.status_code == 200, response.status_code
        return response

    def download() -> int:
        return len(b"".join(get(export).streaming_content))

    rows = []
    for label, query in [
        ("progress_overview（全县）", None),
        ("progress_overview（?light=red&page=5）", {"light": "red", "page": 5}),
        ("progress_overview（?org=一个镇）", {"org": township.pk}),
    ]:
        milliseconds, queries, response = measure(lambda query=query: get(page, query))
        shown = response.context["page"].paginator.count
        rows.append((label, milliseconds, queries, f"{shown} 个组织匹配"))
    milliseconds, queries, size = measure(download, runs=1)
    rows.append(("progress_export（全县）", milliseconds, queries, f"{total} 行，{size // 1024} KB"))
    rows.append(nightly_refresh(secretary, year))
    print(f"  built {total} organizations in {built:.1f} s", file=sys.stderr)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orgs", type=int, nargs="+", default=[2000, 20000], help="tree sizes to measure")
    parser.add_argument("--header", action=argparse.BooleanOptionalAction, default=True, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if len(arguments.orgs) > 1:
        # One process per size: an in-memory SQLite test database lives as long as its process.
        for index, total in enumerate(arguments.orgs):
            header = "--header" if index == 0 else "--no-header"
            subprocess.run([sys.executable, __file__, "--orgs", str(total), header], check=True)
        return
    setup_test_environment()
    if arguments.header:
        print("| 数据库 | 组织数 | 请求 | 耗时（中位数, ms） | 查询数 | 说明 |")
        print("| --- | ---: | --- | ---: | ---: | --- |")
    total = arguments.orgs[0]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        for label, milliseconds, queries, note in bench(total):
            print(f"| {connection.vendor} | {total} | {label} | {milliseconds:.0f} | {queries} | {note} |", flush=True)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
