"""Repeated records (形式主义): the same words month after month are flagged where the committee reviews
records, with a one-tap 驳回 whose reason is written already."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from django.urls import reverse
from django.utils import timezone

from responsibility import services
from responsibility.models import DutyRecord, DutyType, ResponsibilityList
from tests.clients import signed_in

MONTHLY = "召开支委会，研究本月党建重点工作"


def monthly_records(branch_list: ResponsibilityList, people: SimpleNamespace) -> list[DutyRecord]:
    item = branch_list.items.get(duty_type=DutyType.ORGANIZATION)
    today = timezone.localdate()
    secretary = people.branch_secretary
    return [
        services.record_add(
            item=item, occurred_on=date(today.year, month, 5), content=MONTHLY, done_by=secretary, by=secretary
        )
        for month in range(1, min(today.month, 3) + 1)
    ]


def test_a_record_repeating_an_earlier_one_is_flagged_in_the_review_queue(
    branch_list: ResponsibilityList, people: SimpleNamespace
) -> None:
    records = monthly_records(branch_list, people)
    response = signed_in(people.committee_secretary).get(reverse("record_review_queue"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "重复 100%" in body
    assert "按重复驳回" in body
    assert body.count("data-repeat-return") == len(records)


def test_the_one_tap_return_sends_the_prefilled_reason(
    branch_list: ResponsibilityList, people: SimpleNamespace
) -> None:
    records = monthly_records(branch_list, people)
    client = signed_in(people.committee_secretary)
    queue = client.get(reverse("record_review_queue"))
    rows = [row for row in queue.context["rows"] if row[0].pk == records[-1].pk]
    likeness = rows[0][1][0]
    response = client.post(
        reverse("record_review", args=[records[-1].pk]),
        {"decision": "return", "reason": likeness.return_reason, "next": reverse("record_review_queue")},
    )
    assert response.status_code == 302
    returned = DutyRecord.objects.get(pk=records[-1].pk)
    assert returned.status == DutyRecord.Status.RETURNED
    assert "重复" in returned.review_reason
    assert MONTHLY[:10] in returned.review_reason


def test_the_record_page_prefills_the_reason_for_the_reviewer_and_warns_the_author(
    branch_list: ResponsibilityList, people: SimpleNamespace
) -> None:
    records = monthly_records(branch_list, people)
    url = reverse("record_detail", args=[records[-1].pk])
    reviewer = signed_in(people.committee_secretary).get(url)
    assert "内容与本组织另一份履责记实" in reviewer.context["review_form"]["reason"].value()
    author = signed_in(people.branch_secretary).get(url).content.decode()
    assert "内容重复提示" in author
    assert "可能被驳回" in author


def test_a_record_in_its_own_words_is_not_flagged(branch_list: ResponsibilityList, people: SimpleNamespace) -> None:
    item = branch_list.items.get(duty_type=DutyType.ORGANIZATION)
    secretary = people.branch_secretary
    today = timezone.localdate()
    for content in (
        "召开支委会，研究秋季党员发展计划和两名积极分子的考察",
        "组织党员到红色教育基地开展主题党日活动并重温入党誓词",
    ):
        services.record_add(item=item, occurred_on=today, content=content, done_by=secretary, by=secretary)
    body = signed_in(people.committee_secretary).get(reverse("record_review_queue")).content.decode()
    assert "按重复驳回" not in body
