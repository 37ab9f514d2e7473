"""In real Chromium, axe-core (from npm, node_modules/axe-core) checks every page each demo role reaches, and the
public pages, on a phone and on a laptop: no serious or critical violation of WCAG 2.1 A/AA or axe's best practices.

Each role signs in and starts from home and the pages of its navigation menu; the links on those pages are followed
one level deep (same site, GET links only, no downloads, exports, sign-out, language switch or Django admin). To stay
fast, each URL pattern is checked once, for the first role that reaches it (home is checked for every role), roles
in the order branch secretary, member, township, county, administrator. The walk is the same on any database, so
scripts/test-all runs it on SQLite only. Every violation found (any impact) goes to var/test-results/axe.json."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve

from tests.clients import sign_in
from tests.conftest import unavailable

pytestmark = [pytest.mark.browser, pytest.mark.accessibility]

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
REPORT = ROOT / "var" / "test-results" / "axe.json"
ROLES = ("demo-secretary", "demo-member", "demo-township", "demo-county", "demo-admin")
VIEWPORTS = {
    "phone": {"viewport": {"width": 375, "height": 740}, "is_mobile": True},
    "laptop": {"viewport": {"width": 1366, "height": 768}, "is_mobile": False},
}
# Pages a role reaches beyond home and its menu's pages: enough for every pattern the demo links to.
MAX_PAGES = 60
BLOCKING = {"serious", "critical"}
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    "resultTypes": ["violations"],
}
# URL names never opened: they download a file, change state on GET, sign out, or are Django's own.
SKIPPED = {
    "logout",
    "set_language",
    "healthz",
    "calendar_feed",
    "notification_open",
    "notifications_read_all",
    "evidence_download",
    "meeting_file",
    "task_evidence",
    "ballot_sheet",
    "yearly_report_download",
    "admin_password_change_redirect",
}
SIGNED_OUT = "signed out"
# Signed out: sign-in, the member ballot, the published commitments and rectifications (and what they link to).
PUBLIC_START = ("/login/", "/vote/", "/public/", "/public/rectification/")
# Pages the walk must have reached, from menus and one level below them, for the walk to count.
EXPECTED = {
    *(f"home {login}" for login in ROLES),
    *(f"{SIGNED_OUT} {name}" for name in ("login", "vote", "public_commitments", "public_commitment")),
    f"{SIGNED_OUT} public_rectifications",
    "my_list",
    "item_detail",
    "record_add",
    "my_reports",
    "report_edit",
    "my_tasks",
    "task_detail",
    "meeting_home",
    "meeting_detail",
    "member_roll",
    "member_detail",
    "dashboard",
    "progress_overview",
    "list_review_queue",
    "record_review_queue",
    "review_queue",
    "cycles",
    "cycle_detail",
    "rectification_board",
    "inspections",
    "organization_tree",
    "organization_detail",
    "audit_log",
    "organization_import",
}


@dataclass
class Walk:
    """The pages to check, one per URL pattern across all roles (each role's home is its own; signed out is apart),
    in the order found."""

    origin: str
    checked: set[str] = field(default_factory=set)  # URL names already checked, by any role
    reached: dict[str, list[str]] = field(default_factory=dict)  # who -> the paths checked for them

    def pattern(self, href: str) -> str | None:
        """The URL name HREF opens, or None when it is not a page of this site to check."""
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            return None
        try:
            match = resolve(parts.path)
        except Resolver404:
            return None  # static files, media
        name = match.view_name
        if match.namespace == "admin" or not name or name in SKIPPED:
            return None
        if "export" in name or "download" in name or parts.path.endswith((".xlsx", ".pdf", ".csv", ".ics")):
            return None
        return name

    def new(self, who: str, hrefs: Iterable[str]) -> list[str]:
        """The paths among HREFS whose pattern nobody has checked yet (home: not yet for WHO); marks them checked."""
        paths = self.reached.setdefault(who, [])
        added = []
        for href in hrefs:
            name = self.pattern(href)
            if who == SIGNED_OUT:
                key = f"{SIGNED_OUT} {name}"
                if name == "home":
                    continue  # the sign-in page again
            else:
                key = f"home {who}" if name == "home" else str(name)
            if name is None or key in self.checked or len(paths) >= MAX_PAGES:
                continue
            self.checked.add(key)
            parts = urlsplit(href)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            paths.append(path)
            added.append(path)
        return added


def links(page: Any, selector: str = "a[href]") -> list[str]:
    return list(page.evaluate("s => Array.from(document.querySelectorAll(s)).map(a => a.href)", selector))


def axe(page: Any) -> list[dict[str, Any]]:
    """The violations axe finds on PAGE, each node reduced to what a reader needs."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    results = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    violations = []
    for violation in results["violations"]:
        nodes = []
        for node in violation["nodes"]:
            data = next((check.get("data") for check in node["any"] if check.get("data")), None)
            nodes.append({"target": node["target"], "html": node["html"][:160], "data": data})
        violations.append(
            {"id": violation["id"], "impact": violation["impact"], "help": violation["help"], "nodes": nodes}
        )
    return violations


def check(page: Any, url: str, where: str, found: list[dict[str, Any]]) -> None:
    """Opens URL and records axe's violations there under WHERE (who, viewport, path)."""
    response = page.goto(url)
    assert response is not None, where
    assert response.ok, f"{where}: {response.status}"
    for violation in axe(page):
        found.append({"where": where, **violation})


def walk(browser: Any, base: str, who: str, walk: Walk, found: list[dict[str, Any]]) -> None:
    """Finds the pages WHO reaches (signed in unless "signed out") on a laptop and checks each, then checks the same
    pages on a phone. The pages' Content-Security-Policy forbids injected scripts: the contexts bypass it for axe."""
    paths: list[str] = []
    for viewport, options in VIEWPORTS.items():
        context = browser.new_context(locale="zh-CN", bypass_csp=True, **options)
        page = context.new_page()
        page.set_default_timeout(15_000)
        if who != SIGNED_OUT:
            sign_in(page, base, who)
        if not paths:
            if who == SIGNED_OUT:
                roots = walk.new(who, [base + path for path in PUBLIC_START])
            else:
                roots = walk.new(who, [page.url, *links(page, "nav a[href]")])
            deeper: list[str] = []
            for path in roots:
                check(page, base + path, f"{who} {viewport} {path}", found)
                deeper += walk.new(who, links(page))
            for path in deeper:
                check(page, base + path, f"{who} {viewport} {path}", found)
            paths = roots + deeper
        else:
            for path in paths:
                check(page, base + path, f"{who} {viewport} {path}", found)
        context.close()


def readable(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['where']}: {violation['id']} ({violation['impact']}) {violation['help']}")
        for node in violation["nodes"][:5]:
            detail = ""
            if node["data"] and isinstance(node["data"], dict) and "contrastRatio" in node["data"]:
                data = node["data"]
                detail = f" [{data.get('fgColor')} on {data.get('bgColor')}: {data.get('contrastRatio')}]"
            lines.append(f"    {' '.join(map(str, node['target']))}{detail}\n        {node['html']}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    … and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


def test_no_serious_accessibility_violation_on_any_page_any_demo_role_reaches(
    live_server: Any, chromium: Any, transactional_db: None
) -> None:
    if not AXE.exists():
        unavailable(f"{AXE} is missing: npm ci installs it (make test does)")
    call_command("seed_demo", verbosity=0)
    base = live_server.url
    found: list[dict[str, Any]] = []
    pages = Walk(origin=base)
    for who in (*ROLES, SIGNED_OUT):
        walk(chromium, base, who, pages, found)

    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps({"pages": pages.reached, "violations": found}, ensure_ascii=False, indent=1))
    # The walk really went through the menus and one level below them.
    assert pages.checked >= EXPECTED, sorted(EXPECTED - pages.checked)
    blocking = [violation for violation in found if violation["impact"] in BLOCKING]
    assert not blocking, f"{len(blocking)} serious or critical axe violations:\n{readable(blocking)}"
