"""`manage.py seed_demo [--if-empty]`: the demo county, its people, the five demo logins, this year's lists and
the demo branch's year of meetings."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from accounts.models import Organization
from seeding.demo.meetings import meetings_demo_build
from seeding.demo.members import members_demo_build
from seeding.demo.people import DEMO_LOGINS, DEMO_PASSWORD, demo_build, demo_users
from seeding.demo.rectification import rectification_demo_build
from seeding.demo.responsibility import responsibility_demo_build
from seeding.demo.reviews import reviews_demo_build
from seeding.demo.similarity import similarity_demo_build


class Command(BaseCommand):
    help = (
        "生成演示数据（青山县的党组织、人员、演示账号、柳塘村党支部的党员名册，本年度的责任清单、履责记实、柳塘村党支部的组织生活（三会一课、主题党日及签到），上年度和本年度的述职评议）；"
        "重复运行不会重复创建，并重置演示账号的密码。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="已有任何党组织时什么也不做（用于每次启动时自动运行）",
        )

    def handle(self, *args: Any, if_empty: bool = False, **options: Any) -> None:
        if if_empty and Organization.objects.exists():
            self.stdout.write(_("已有党组织数据，未生成演示数据。"))
            self._print_logins(existing_only=True)
            return
        summary = demo_build()
        self.stdout.write(self.style.SUCCESS(str(summary)))
        for note in summary.skipped:
            self.stdout.write(self.style.WARNING(note))
        self.stdout.write(self.style.SUCCESS(str(members_demo_build())))
        self.stdout.write(self.style.SUCCESS(str(responsibility_demo_build())))
        self.stdout.write(self.style.SUCCESS(str(meetings_demo_build())))
        self.stdout.write(self.style.SUCCESS(str(reviews_demo_build())))
        self.stdout.write(self.style.SUCCESS(str(rectification_demo_build())))
        self.stdout.write(self.style.SUCCESS(str(similarity_demo_build())))
        self._print_logins(existing_only=False)

    def _print_logins(self, *, existing_only: bool) -> None:
        descriptions = dict(DEMO_LOGINS)
        users = demo_users()
        if existing_only:
            if not users:
                return
            header = _("演示账号（初始密码为 %(password)s，可运行 manage.py seed_demo 重置）：")
        else:
            header = _("演示账号（密码均为 %(password)s）：")
        self.stdout.write(header % {"password": DEMO_PASSWORD})
        for user in users:
            self.stdout.write(f"  {user.username:<15} {user.full_name}  {descriptions[user.username]}")
