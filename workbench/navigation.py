"""The menu: every page under the stage of the yearly loop it belongs to, and only what the reader acts on.

Officials think of their year as stages — plan and lists, duty records, organizational life, inspection,
the duty-report review, rectification, reports — so the menu is grouped the same way. Each entry names
who it is for, from the access layer's scope (never from a role string): everyone signed in, those who
keep an organization's own work, those who keep or follow a member roll, committees (who supervise
organizations below them) and administrators. A stage with nothing for the reader is left out, so a
plain member's menu holds only what a member can use.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.permissions import scope_for
from foundation.years import chosen_year, offered_years
from members import access as member_access


class Audience(Enum):
    EVERYONE = "everyone"
    KEEPER = "keeper"
    """Keeps an organization's own work: its list, records, report, meetings and tasks."""
    ROLL = "roll"
    """Keeps or follows a member roll."""
    COMMITTEE = "committee"
    """Supervises organizations below it (or is an administrator)."""
    ADMIN = "admin"


@dataclass(frozen=True)
class Entry:
    label: Promise
    url_name: str
    audience: Audience
    yearly: bool = True
    """Its page shows one year: the link carries the chosen year."""
    also_current: tuple[str, ...] = ()
    """Pages reached from it that keep it marked as the current entry."""


@dataclass(frozen=True)
class Stage:
    key: str
    label: Promise
    entries: tuple[Entry, ...]


A = Audience
STAGES: tuple[Stage, ...] = (
    Stage(
        "plan",
        _("计划与清单"),
        (
            Entry(_("年度工作要点"), "work_plans", A.COMMITTEE),
            Entry(_("清单模板"), "list_templates", A.COMMITTEE),
            Entry(_("清单审核"), "list_review_queue", A.COMMITTEE),
            Entry(_("我的清单"), "my_list", A.KEEPER, also_current=("list_for_org", "item_detail")),
        ),
    ),
    Stage(
        "records",
        _("履责记实"),
        (
            Entry(_("记实审阅"), "record_review_queue", A.COMMITTEE),
            Entry(_("责任落实进度"), "progress_overview", A.COMMITTEE),
            Entry(_("书记联系点"), "contact_points", A.COMMITTEE),
        ),
    ),
    Stage(
        "life",
        _("组织生活"),
        (
            Entry(_("组织生活"), "meeting_home", A.EVERYONE, also_current=("meeting_year", "meeting_detail")),
            Entry(_("党员名册"), "member_rolls", A.ROLL),
            Entry(_("组织生活统计"), "life_overview", A.COMMITTEE, also_current=("life_overview_org",)),
        ),
    ),
    Stage(
        "inspection",
        _("督查"),
        (
            Entry(_("督查"), "inspections", A.COMMITTEE),
            Entry(_("相似内容"), "similar_pairs", A.COMMITTEE, also_current=("similar_pair",)),
            Entry(_("规范表述"), "standard_texts", A.COMMITTEE, yearly=False),
        ),
    ),
    Stage(
        "review",
        _("述职评议"),
        (
            Entry(_("我的述职"), "my_reports", A.KEEPER),
            Entry(_("述职评议"), "cycles", A.COMMITTEE),
            Entry(_("评分"), "review_queue", A.COMMITTEE),
            Entry(_("民主测评"), "vote", A.EVERYONE, yearly=False),
        ),
    ),
    Stage(
        "rectification",
        _("整改"),
        (
            Entry(_("我的整改"), "my_tasks", A.KEEPER),
            Entry(_("整改督办"), "rectification_board", A.COMMITTEE),
            Entry(_("问题清单"), "findings", A.COMMITTEE),
        ),
    ),
    Stage(
        "reports",
        _("报表"),
        (
            Entry(_("工作台"), "dashboard", A.COMMITTEE),
            Entry(_("年度报告"), "yearly_reports", A.COMMITTEE),
        ),
    ),
    Stage(
        "settings",
        _("设置"),
        (
            Entry(_("组织架构"), "organization_tree", A.COMMITTEE, yearly=False),
            Entry(_("导入组织与人员"), "organization_import", A.ADMIN, yearly=False),
            Entry(_("操作日志"), "audit_log", A.COMMITTEE, yearly=False),
            Entry(_("消息设置"), "notification_settings", A.EVERYONE, yearly=False),
            Entry(_("修改密码"), "password_change", A.EVERYONE, yearly=False),
            Entry(_("两步验证"), "two_factor_settings", A.EVERYONE, yearly=False),
            Entry(_("系统管理"), "admin:index", A.ADMIN, yearly=False),
        ),
    ),
)


@dataclass(frozen=True)
class Link:
    label: Promise
    href: str
    current: bool


@dataclass(frozen=True)
class MenuStage:
    key: str
    label: Promise
    links: list[Link]

    @property
    def current(self) -> bool:
        return any(link.current for link in self.links)


def audiences_for(user: Any) -> set[Audience]:
    """Who the person is, for the menu, from their scope."""
    scope = scope_for(user)
    audiences = {Audience.EVERYONE}
    if scope.manage_paths:
        audiences.add(Audience.KEEPER)
    if scope.is_committee:
        audiences.add(Audience.COMMITTEE)
    if member_access.reaches_a_roll(user):
        audiences.add(Audience.ROLL)
    if scope.is_admin:
        audiences.add(Audience.ADMIN)
    return audiences


def menu_for(user: Any, current: str, year: int) -> list[MenuStage]:
    """The stages with the entries this person acts on; the page being shown is marked."""
    audiences = audiences_for(user)
    menu = []
    for stage in STAGES:
        links = [
            Link(
                entry.label,
                reverse(entry.url_name) + (f"?year={year}" if entry.yearly else ""),
                current in (entry.url_name, *entry.also_current),
            )
            for entry in stage.entries
            if entry.audience in audiences
        ]
        if links:
            menu.append(MenuStage(stage.key, stage.label, links))
    return menu


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The base layout's menu and year switch (a context processor)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match is not None else ""
    year = chosen_year()
    return {
        "nav_stages": menu_for(user, current, year),
        "nav_home_current": current == "home",
        "nav_year": year,
        "nav_years": offered_years(year),
    }
