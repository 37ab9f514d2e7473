"""`manage.py seed_scale --orgs N [--year Y] [--password P] [--seed S] [--wipe]`: a province-sized benchmark load."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.models import Organization, User
from seeding.scale.meetings import life_scale_build, life_scale_refresh
from seeding.scale.people import (
    MIN_ORGS,
    SCALE_LOGINS,
    SCALE_PASSWORD,
    TableWriter,
    accounts_scale_build,
    domain_tables,
    scale_wipe,
)
from seeding.scale.rectification import rectification_scale_build
from seeding.scale.responsibility import responsibility_scale_build
from seeding.scale.reviews import reviews_scale_build

T = TypeVar("T")


class Command(BaseCommand):
    help = (
        "生成基准测试用的全省规模数据（省委、市委、县委、乡镇街道、党支部，人员、责任清单、履责记实、"
        "述职评议、督查整改、党员名册、组织生活）。只能在没有党组织的数据库上运行，或加 --wipe 先清空。不写入操作历史。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--orgs", type=int, default=10000, help="党组织总数（默认 10000）")
        parser.add_argument("--year", type=int, default=None, help="年度（默认今年）")
        parser.add_argument("--password", default=SCALE_PASSWORD, help="全部账号的密码")
        parser.add_argument("--seed", type=int, default=2026, help="随机种子：相同规模和种子生成相同数据")
        parser.add_argument("--wipe", action="store_true", help="先删除全部党组织、人员和业务数据")
        parser.add_argument("--batch-size", type=int, default=5000, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        orgs: int = options["orgs"]
        if orgs < MIN_ORGS:
            raise CommandError(f"--orgs 至少为 {MIN_ORGS}。")
        year: int = options["year"] or timezone.localdate().year
        timings: list[tuple[str, float]] = []

        def phase(label: str, work: Callable[[], T]) -> T:
            started = time.perf_counter()
            result = work()
            timings.append((label, time.perf_counter() - started))
            self.stdout.write(f"  {label}: {timings[-1][1]:.1f} s", ending="\n")
            self.stdout.flush()
            return result

        if (
            Organization.objects.exists()
            or User.objects.filter(username__in=[login for login, _ in SCALE_LOGINS]).exists()
        ):
            if not options["wipe"]:
                raise CommandError(
                    "数据库中已有党组织或基准账号：加 --wipe 先清空（会删除全部党组织、人员和业务数据）。"
                )
            phase("清空", lambda: transaction.atomic(scale_wipe)())

        writer = TableWriter(batch_size=options["batch_size"])
        with transaction.atomic():
            _skip_foreign_key_checks()
            writer.defer_indexes(domain_tables())
            tree = phase(
                "组织和人员",
                lambda: accounts_scale_build(
                    writer, orgs=orgs, year=year, password=options["password"], seed=options["seed"]
                ),
            )
            phase("责任清单和履责记实", lambda: responsibility_scale_build(writer, tree))
            reviews = phase("述职评议", lambda: reviews_scale_build(writer, tree))
            phase("督查整改", lambda: rectification_scale_build(writer, tree, reviews))
            phase("党员名册和组织生活", lambda: life_scale_build(writer, tree))
            phase("索引和序列", writer.finish)
            phase("组织生活年度情况", lambda: life_scale_refresh(tree))
            committing = time.perf_counter()
        timings.append(("提交", time.perf_counter() - committing))
        if connection.vendor == "postgresql":
            # Fresh statistics, as autovacuum would have them some minutes later: plans depend on them.
            phase("ANALYZE", lambda: _analyze())

        self.stdout.write(self.style.SUCCESS(f"已生成 {orgs} 个党组织的 {year} 年度数据（未写入操作历史）："))
        for label, count in writer.counts.items():
            self.stdout.write(f"  {label:<12} {count:>10}")
        total = sum(seconds for _label, seconds in timings)
        self.stdout.write(
            " · ".join(f"{label} {seconds:.1f} s" for label, seconds in timings) + f" · 合计 {total:.1f} s"
        )
        self.stdout.write(f"账号（密码均为 {options['password']}）：")
        for login, description in SCALE_LOGINS:
            self.stdout.write(f"  {login:<16} {description}")
        self.stdout.write("  s<组织id>        每个党组织的书记")


def _skip_foreign_key_checks() -> None:
    """On PostgreSQL, lets this transaction skip the foreign-key triggers when the role may (a superuser).

    Checking millions of deferred keys at commit took longer than writing the rows. Every key the
    builders write points at a row written in the same run under an id they chose; the SQLite run
    of tests/test_seed_scale.py checks every key at commit.
    """
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        pass


def _analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
