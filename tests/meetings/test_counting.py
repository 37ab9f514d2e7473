"""一次录入，多处使用 on the list: which kind of meeting an item counts (by the rules from its words, or by hand
either way), the records the meetings write and remove as the link changes, the item, list and record pages
that show it, and the refusals (someone who may not record, a closed year, typing over a meeting's record)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from foundation.errors import DomainError
from meetings import counting, services
from meetings.models import ItemLink, Meeting, MeetingKind, MeetingRecord
from responsibility import services as list_services
from responsibility.models import Category, DutyType, ListItem, Period, ResponsibilityList
from tests.clients import signed_in
from tests.meetings.conftest import kind, plan
from tests.responsibility.conftest import approved_branch_list

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("每月召开支委会", MeetingKind.COMMITTEE),
        ("每月召开一次支部委员会会议", MeetingKind.COMMITTEE),
        ("每季度召开党员大会", MeetingKind.ASSEMBLY),
        ("每季度讲一次党课", MeetingKind.LECTURE),
        ("每月开展主题党日活动", MeetingKind.THEME_DAY),
        ("每年召开专题组织生活会", MeetingKind.LIFE_MEETING),
        ("党小组会每月一次", MeetingKind.GROUP),
        ("召开民主生活会", MeetingKind.DEMOCRATIC_LIFE),
        # The kind named first wins: a 党课 given at the 党员大会 is the assembly's.
        ("党员大会上讲党课", MeetingKind.ASSEMBLY),
        ("每年走访联系党员两次", None),
    ],
)
def test_the_rules_name_the_kind_an_item_counts(content: str, code: str | None) -> None:
    assert counting.kind_code_by_rule(content) == code


@pytest.fixture
def branch_list(tree: Any, people: SimpleNamespace, life: SimpleNamespace) -> ResponsibilityList:
    return approved_branch_list(tree, people, Category.objects.get(name="组织建设"), timezone.localdate().year)


def _item(branch_list: ResponsibilityList, content: str) -> ListItem:
    return branch_list.items.get(content=content)


def _held(tree: Any, people: SimpleNamespace, code: str) -> Meeting:
    meeting = plan(tree.branch, people.branch_secretary, code)
    return services.meeting_close(meeting=meeting, by=people.branch_secretary, minutes="研究本月党建工作")


def _meeting_records(item: ListItem) -> list[int]:
    return sorted(MeetingRecord.objects.filter(record__item=item).values_list("meeting_id", flat=True))


def test_the_rules_link_each_item_and_a_hand_choice_wins(
    tree: Any, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    committee = _item(branch_list, "每月召开支委会")
    visits = _item(branch_list, "每年走访联系党员两次")
    kinds = counting.linked_kinds([committee, visits])
    assert kinds[committee.pk] == (kind(MeetingKind.COMMITTEE), False)
    assert kinds[visits.pk] == (None, False)
    counting.item_link_set(item=visits, kind=kind(MeetingKind.GROUP), by=people.branch_secretary)
    counting.item_link_set(item=committee, kind=None, by=people.branch_secretary)
    kinds = counting.linked_kinds([committee, visits])
    assert kinds[committee.pk] == (None, True)
    assert kinds[visits.pk] == (kind(MeetingKind.GROUP), True)


def test_overriding_both_ways_removes_and_adds_the_meetings_records(
    tree: Any, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    committee_item = _item(branch_list, "每月召开支委会")
    visits = _item(branch_list, "每年走访联系党员两次")
    meeting = _held(tree, people, MeetingKind.COMMITTEE)
    assert _meeting_records(committee_item) == [meeting.pk]
    assert _meeting_records(visits) == []

    # By hand to none: the meeting's record leaves the item and its progress.
    assert counting.item_link_set(item=committee_item, kind=None, by=people.branch_secretary) == 0
    committee_item.refresh_from_db()
    assert committee_item.period_done == 0
    assert not committee_item.records.exists()
    # A meeting held afterwards writes nothing on it either.
    later = _held(tree, people, MeetingKind.COMMITTEE)
    assert _meeting_records(committee_item) == []

    # By hand to a kind the words do not name: the year's held meetings of it are recorded at once.
    assert counting.item_link_set(item=visits, kind=kind(MeetingKind.COMMITTEE), by=people.branch_secretary) == 2
    assert _meeting_records(visits) == sorted([meeting.pk, later.pk])
    visits.refresh_from_db()
    assert visits.done_total == 2

    # Back to the rules: the 支委会 item counts its meetings again, the visits item none.
    assert counting.item_link_reset(item=committee_item, by=people.branch_secretary) == 2
    assert counting.item_link_reset(item=visits, by=people.branch_secretary) == 0
    assert not ItemLink.objects.filter(item__in=[committee_item, visits]).exists()
    assert _meeting_records(committee_item) == sorted([meeting.pk, later.pk])
    assert not visits.records.exists()


def test_only_those_who_may_record_change_the_link_and_never_in_a_closed_year(
    tree: Any, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    item = _item(branch_list, "每月召开支委会")
    for outsider in (people.branch_member, people.committee_secretary, people.outsider):
        with pytest.raises(PermissionDenied):
            counting.item_link_set(item=item, kind=None, by=outsider)
    meeting = _held(tree, people, MeetingKind.COMMITTEE)
    list_services.list_close(responsibility_list=branch_list, by=people.committee_secretary)
    item.refresh_from_db()
    with pytest.raises(DomainError, match="年度已关闭"):
        counting.item_link_set(item=item, kind=None, by=people.branch_secretary)
    assert not ItemLink.objects.filter(item=item).exists()
    assert _meeting_records(item) == [meeting.pk]


def test_the_item_page_shows_the_link_and_the_form_posts_it(
    tree: Any, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    item = _item(branch_list, "每月召开支委会")
    secretary = signed_in(people.branch_secretary)
    page = secretary.get(reverse("item_detail", args=[item.pk])).content.decode()
    assert "计入会议：支部委员会（按规则）" in page
    assert reverse("item_meeting_link", args=[item.pk]) in page
    # The committee above reads the link but may not record on the branch's item, so it has no form.
    above = signed_in(people.committee_secretary).get(reverse("item_detail", args=[item.pk])).content.decode()
    assert "计入会议：支部委员会（按规则）" in above
    assert reverse("item_meeting_link", args=[item.pk]) not in above

    lecture = kind(MeetingKind.LECTURE)
    response = secretary.post(reverse("item_meeting_link", args=[item.pk]), {"kind": str(lecture.pk)})
    assert response.status_code == 302
    assert response["Location"] == reverse("item_detail", args=[item.pk])
    assert ItemLink.objects.get(item=item).kind == lecture
    page = secretary.get(reverse("item_detail", args=[item.pk])).content.decode()
    assert "计入会议：党课（人工指定）" in page
    secretary.post(reverse("item_meeting_link", args=[item.pk]), {"kind": "none"})
    assert ItemLink.objects.get(item=item).kind is None
    assert "不计入会议（人工指定）" in secretary.get(reverse("item_detail", args=[item.pk])).content.decode()
    secretary.post(reverse("item_meeting_link", args=[item.pk]), {"kind": "rule"})
    assert not ItemLink.objects.filter(item=item).exists()


def test_the_link_form_refuses_who_may_not_record_and_kinds_the_organization_has_not(
    tree: Any, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    item = _item(branch_list, "每月召开支委会")
    url = reverse("item_meeting_link", args=[item.pk])
    assert signed_in(people.branch_member).post(url, {"kind": "none"}).status_code == 403
    assert signed_in(people.committee_secretary).post(url, {"kind": "none"}).status_code == 403
    assert signed_in(people.outsider).post(url, {"kind": "none"}).status_code == 404
    assert (
        signed_in(people.branch_secretary).post(reverse("item_meeting_link", args=[0]), {"kind": "none"}).status_code
        == 404
    )
    # 民主生活会 is a committee's meeting, not a branch's: not offered, and refused when posted.
    democratic = kind(MeetingKind.DEMOCRATIC_LIFE)
    signed_in(people.branch_secretary).post(url, {"kind": str(democratic.pk)})
    assert not ItemLink.objects.filter(item=item).exists()


def test_a_meetings_record_says_so_and_is_not_typed_over(
    tree: Any, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    item = _item(branch_list, "每月召开支委会")
    meeting = _held(tree, people, MeetingKind.COMMITTEE)
    record = MeetingRecord.objects.get(meeting=meeting).record
    secretary = signed_in(people.branch_secretary)
    page = secretary.get(reverse("record_detail", args=[record.pk])).content.decode()
    assert "由会议自动生成" in page
    assert meeting.topic in page
    assert reverse("record_edit", args=[record.pk]) not in page
    assert "由会议自动生成" in secretary.get(reverse("item_detail", args=[item.pk])).content.decode()
    assert secretary.get(reverse("record_edit", args=[record.pk])).status_code == 403
    with pytest.raises(DomainError, match="由会议自动生成"):
        list_services.record_update(
            record=record, occurred_on=record.occurred_on, content="手工改写", by=people.branch_secretary
        )
    record.refresh_from_db()
    assert record.content != "手工改写"


def _add_items(branch_list: ResponsibilityList, people: SimpleNamespace, count: int) -> None:
    """More items on the approved list, as a revision would add them (written directly: the count is the point)."""
    category = Category.objects.get(name="组织建设")
    for number in range(count):
        ListItem.objects.create(
            list=branch_list,
            category=category,
            duty_type=DutyType.ORGANIZATION,
            content=f"每月召开支委会研究第{number}项工作" if number % 2 else f"每季度召开党员大会{number}",
            target_period=Period.MONTH,
            target_count=1,
        )


def test_the_list_pages_queries_do_not_grow_with_its_items(
    tree: Any, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    secretary = signed_in(people.branch_secretary)
    url = reverse("list_detail", args=[branch_list.pk])
    counting.item_link_set(item=_item(branch_list, "每年走访联系党员两次"), kind=None, by=people.branch_secretary)
    secretary.get(url)
    with CaptureQueriesContext(connection) as few:
        page = secretary.get(url).content.decode()
    assert "计入会议：支部委员会（按规则）" in page
    assert "计入会议：党课（按规则）" in page
    _add_items(branch_list, people, 6)
    counting.item_link_set(
        item=branch_list.items.get(content="每季度召开党员大会0"),
        kind=kind(MeetingKind.GROUP),
        by=people.branch_secretary,
    )
    with CaptureQueriesContext(connection) as many:
        page = secretary.get(url).content.decode()
    assert "计入会议：党小组会（人工指定）" in page
    assert len(many.captured_queries) == len(few.captured_queries)
