"""No lost updates on the committee's 点评意见: a save over a newer comment is refused and the typed text kept."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse

from foundation.errors import DomainError
from reviews import services
from reviews.models import Cycle, DutyReport
from tests.clients import signed_in
from tests.conftest import Tree

STALE = "该内容已被他人修改，请核对后再保存；您填写的内容仍保留在下方。"


@pytest.fixture
def report(open_cycle: Cycle, tree: Tree, people: SimpleNamespace) -> DutyReport:
    report = open_cycle.reports.select_related("cycle", "organization").get(organization=tree.branch)
    titles = report.cycle.section_titles()
    sections = dict.fromkeys(titles, "<p>全年召开支委会十二次。</p>")
    services.report_save(report=report, sections=sections, revision=report.revision, by=people.branch_secretary)
    report.refresh_from_db()
    services.report_submit(report=report, by=people.branch_secretary)
    report.refresh_from_db()
    return report


def loaded_version(client: Client, report: DutyReport) -> str:
    body = client.get(reverse("report_assess", args=[report.pk])).content.decode()
    match = re.search(r'name="version" value="([0-9a-f]{64})"', body) or re.search(
        r'value="([0-9a-f]{64})" name="version"', body
    )
    assert match is not None, "the comment form carries the report's version"
    return match.group(1)


def comment_data(version: str, comment: str) -> dict[str, str]:
    return {"form": "comment", "comment": comment, "daily_score": "", "daily_reason": "", "version": version}


def test_the_second_save_over_a_newer_comment_is_refused_and_the_typed_text_kept(
    people: SimpleNamespace, report: DutyReport
) -> None:
    first = signed_in(people.committee_secretary)
    second = signed_in(people.committee_member)
    url = reverse("report_assess", args=[report.pk])
    first_version = loaded_version(first, report)
    second_version = loaded_version(second, report)

    assert first.post(url, comment_data(first_version, "班子团结，工作扎实。")).status_code == 302

    response = second.post(url, comment_data(second_version, "党课安排尚需加强。"))
    assert response.status_code == 200
    body = response.content.decode()
    assert STALE in body
    assert "党课安排尚需加强。" in body  # the person's unsaved text stays for them to merge
    report.refresh_from_db()
    assert report.comment == "班子团结，工作扎实。"

    # The re-rendered form carries the current version: once merged, saving again goes through.
    current = services.comment_fingerprint(report)
    assert current in body
    response = second.post(url, comment_data(current, "班子团结，工作扎实；党课安排尚需加强。"))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.comment == "班子团结，工作扎实；党课安排尚需加强。"


def test_a_normal_save_still_works(people: SimpleNamespace, report: DutyReport) -> None:
    client = signed_in(people.committee_secretary)
    version = loaded_version(client, report)
    response = client.post(reverse("report_assess", args=[report.pk]), comment_data(version, "总体良好"))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.comment == "总体良好"


def test_the_service_refuses_a_stale_version_and_skips_the_check_without_one(
    people: SimpleNamespace, report: DutyReport
) -> None:
    stale = services.comment_fingerprint(report)
    by = people.committee_secretary
    services.report_comment_save(report=report, comment="第一次点评", by=by, expected=stale)
    with pytest.raises(DomainError, match="已被他人修改"):
        services.report_comment_save(report=report, comment="第二次点评", by=by, expected=stale)
    report.refresh_from_db()
    assert report.comment == "第一次点评"
    services.report_comment_save(report=report, comment="不核对版本", by=by, expected=None)
    report.refresh_from_db()
    assert report.comment == "不核对版本"
