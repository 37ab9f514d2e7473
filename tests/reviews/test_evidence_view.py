"""The report review pages: the report before the committee's forms, a refused return reopening at its
form with the error beside the field, and the way back that follows what the reader may do."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse

from reviews.models import Cycle, DutyReport
from tests.conftest import Tree
from tests.reviews.test_scoring_views import report_of, submit_report


@pytest.fixture
def report(open_cycle: Cycle, tree: Tree, people: SimpleNamespace) -> DutyReport:
    return submit_report(report_of(open_cycle, tree.branch), people.branch_secretary)


def test_the_report_comes_before_the_committees_forms(
    client: Client, people: SimpleNamespace, report: DutyReport
) -> None:
    client.force_login(people.committee_secretary)
    body = client.get(reverse("report_assess", args=[report.pk])).content.decode()
    text = body.index("全年召开支委会十二次。")
    assert text < body.index('id="comment"') < body.index('id="decision"')
    assert f'action="{reverse("report_return", args=[report.pk])}#decision"' in body


def test_a_return_without_a_reason_reopens_at_the_form_with_the_error_beside_the_field(
    client: Client, people: SimpleNamespace, report: DutyReport
) -> None:
    client.force_login(people.committee_secretary)
    response = client.post(reverse("report_return", args=[report.pk]), {"reason": ""})
    assert response.status_code == 200
    body = response.content.decode()
    form = body.index('id="decision"')
    field = body.index('name="reason"', form)
    error = body.index('id="id_reason_error"', form)
    assert form < field < error < body.index("</form>", form)
    report.refresh_from_db()
    assert report.is_submitted


@pytest.mark.parametrize(
    ("who", "crumbs", "not_crumbs"),
    [
        ("committee_secretary", ["review_queue"], ["my_reports"]),
        ("branch_secretary", ["my_reports"], ["review_queue"]),
    ],
)
def test_the_report_breadcrumb_follows_the_readers_role(
    client: Client, people: SimpleNamespace, report: DutyReport, who: str, crumbs: list[str], not_crumbs: list[str]
) -> None:
    client.force_login(getattr(people, who))
    body = client.get(reverse("report_detail", args=[report.pk])).content.decode()
    start = body.index('<nav class="breadcrumbs"')
    nav = body[start : body.index("</nav>", start)]
    for name in crumbs:
        assert f'href="{reverse(name)}"' in nav
    for name in not_crumbs:
        assert f'href="{reverse(name)}"' not in nav
    assert (f'href="{reverse("report_assess", args=[report.pk])}"' in nav) == (who == "committee_secretary")
