"""Pages for items and duty records: progress per period, adding and correcting records, the committee's review."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Organization, Position, User
from responsibility import progress, selectors, services
from responsibility.models import DutyRecord, DutyType, ListItem, Period, ResponsibilityList
from tests.conftest import Tree
from tests.factories import UserFactory


def item_of(responsibility_list: ResponsibilityList, duty_type: str = DutyType.FIRST) -> ListItem:
    return responsibility_list.items.get(duty_type=duty_type)


def add_record(item: ListItem, by: User, content: str = "讲了一次专题党课", on: date | None = None) -> DutyRecord:
    return services.record_add(item=item, occurred_on=on or timezone.localdate(), content=content, done_by=by, by=by)


def holder(username: str, organization: Organization, role: str = Position.Role.SECRETARY) -> User:
    person = UserFactory(username=username)
    account_services.position_assign(person=person, organization=organization, role=role)
    return person


def body_of(client: Client, user: User, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# The item page ---------------------------------------------------------------------


def test_item_page_shows_each_period_with_its_outcome_and_the_records(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    item = item_of(branch_list)
    add_record(item, people.branch_secretary, content="第一次党课")
    body = body_of(client, people.branch_secretary, reverse("item_detail", args=[item.pk]))
    assert body.count('data-outcome="') == 4  # four quarters
    assert 'data-outcome="on_time"' in body
    assert "按时完成" in body
    assert "第一次党课" in body
    assert "待审阅" in body
    assert reverse("record_add", args=[item.pk]) in body


def test_a_period_met_after_its_end_is_shown_as_late(branch_list: ResponsibilityList) -> None:
    item = item_of(branch_list)  # quarterly, once
    year = branch_list.year
    late = DutyRecord(occurred_on=date(year, 2, 1), submitted_at=datetime(year, 4, 2, 9, tzinfo=UTC))
    on_time = DutyRecord(occurred_on=date(year, 5, 1), submitted_at=datetime(year, 5, 2, 9, tzinfo=UTC))
    returned = DutyRecord(
        occurred_on=date(year, 8, 1), submitted_at=datetime(year, 8, 2, 9, tzinfo=UTC), status="returned"
    )
    periods = selectors.item_periods(item, [late, on_time, returned], today=date(year, 11, 1))
    assert [period.outcome for period in periods] == ["late", "on_time", "missed", "open"]
    assert [period.done for period in periods] == [1, 1, 0, 0]


def test_item_periods_follow_the_warning_arithmetic(branch_list: ResponsibilityList) -> None:
    item = item_of(branch_list, DutyType.ORGANIZATION)  # monthly
    year = branch_list.year
    today = date(year, 5, 15)
    periods = selectors.item_periods(item, [], today=today)
    assert [period.outcome for period in periods[:6]] == ["missed"] * 4 + ["open", "upcoming"]
    assert periods[4].is_current


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("branch_secretary", 200),
        ("branch_member", 200),
        ("committee_secretary", 200),
        ("grantee", 200),
        ("sibling_secretary", 404),
        ("outsider", 404),
    ],
)
def test_item_page_is_for_those_who_see_the_organization(
    client: Client, people: SimpleNamespace, tree: Tree, branch_list: ResponsibilityList, who: str, status: int
) -> None:
    person = getattr(people, who, None) or holder(who, tree.branch_sibling)
    client.force_login(person)
    assert client.get(reverse("item_detail", args=[item_of(branch_list).pk])).status_code == status


def test_member_sees_the_item_but_no_add_button(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    item = item_of(branch_list)
    body = body_of(client, people.branch_member, reverse("item_detail", args=[item.pk]))
    assert reverse("record_add", args=[item.pk]) not in body


# Adding a record -------------------------------------------------------------------


def test_record_form_defaults_to_today_and_the_user_and_offers_the_branch_people(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    body = body_of(client, people.branch_secretary, reverse("record_add", args=[item_of(branch_list).pk]))
    assert f'value="{timezone.localdate().isoformat()}"' in body
    assert f'<option value="{people.branch_secretary.pk}" selected>' in body
    assert f'<option value="{people.branch_member.pk}"' in body
    assert f'<option value="{people.committee_secretary.pk}"' not in body
    assert "亲自部署" in body


def test_personal_actions_are_offered_only_on_first_responsible_items(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    item = item_of(branch_list, DutyType.ORGANIZATION)
    body = body_of(client, people.branch_secretary, reverse("record_add", args=[item.pk]))
    assert "亲自部署" not in body


def test_secretary_adds_a_record_and_it_counts_for_this_period(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    item = item_of(branch_list)
    client.force_login(people.branch_secretary)
    response = client.post(
        reverse("record_add", args=[item.pk]),
        {
            "occurred_on": timezone.localdate().isoformat(),
            "content": "召开专题会议部署党建工作",
            "done_by": people.branch_secretary.pk,
            "personal_action": "deploy",
        },
        follow=True,
    )
    assert "履责记实已保存" in response.content.decode()
    item.refresh_from_db()
    assert item.period_done == 1
    assert item.done_total >= 1
    record = item.records.get()
    assert record.created_by == people.branch_secretary
    assert record.status == DutyRecord.Status.SUBMITTED


def test_a_date_outside_the_year_is_refused_and_the_text_is_kept(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    client.force_login(people.branch_secretary)
    response = client.post(
        reverse("record_add", args=[item_of(branch_list).pk]),
        {
            "occurred_on": f"{branch_list.year - 1}-12-30",
            "content": "去年的会议",
            "done_by": people.branch_secretary.pk,
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert f"不在 {branch_list.year} 年度内" in body
    assert "去年的会议" in body
    assert not DutyRecord.objects.exists()


def test_a_future_date_is_refused(client: Client, people: SimpleNamespace, branch_list: ResponsibilityList) -> None:
    client.force_login(people.branch_secretary)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        reverse("record_add", args=[item_of(branch_list).pk]),
        {"occurred_on": tomorrow.isoformat(), "content": "明天的会", "done_by": people.branch_secretary.pk},
    )
    assert response.status_code == 200
    assert not DutyRecord.objects.exists()


def test_a_closed_year_refuses_new_records_with_a_message(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    services.list_close(responsibility_list=branch_list, by=people.committee_secretary)
    client.force_login(people.branch_secretary)
    response = client.post(
        reverse("record_add", args=[item_of(branch_list).pk]),
        {
            "occurred_on": timezone.localdate().isoformat(),
            "content": "关闭后补记",
            "done_by": people.branch_secretary.pk,
        },
    )
    body = response.content.decode()
    assert f"{branch_list.year} 年度已关闭（锁定），不能再记实" in body
    assert "关闭后补记" in body
    assert not DutyRecord.objects.exists()


def test_a_responsible_plain_member_may_record_against_their_item(
    client: Client, people: SimpleNamespace, tree: Tree, branch_list: ResponsibilityList, category: object
) -> None:
    position = Position.objects.get(person=people.branch_member, organization=tree.branch)
    item = ListItem.objects.create(
        list=branch_list,
        category=category,
        duty_type=DutyType.DUAL,
        content="联系青年党员",
        target_period=Period.YEAR,
        responsible=position,
    )
    progress.refresh_items([item.id])
    client.force_login(people.branch_member)
    assert client.get(reverse("record_add", args=[item.pk])).status_code == 200
    assert client.get(reverse("record_add", args=[item_of(branch_list).pk])).status_code == 403


@pytest.mark.parametrize(("who", "status"), [("branch_member", 403), ("committee_secretary", 403), ("outsider", 404)])
def test_others_may_not_add_records(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList, who: str, status: int
) -> None:
    client.force_login(getattr(people, who))
    url = reverse("record_add", args=[item_of(branch_list).pk])
    assert client.get(url).status_code == status
    response = client.post(url, {"occurred_on": timezone.localdate().isoformat(), "content": "x", "done_by": 1})
    assert response.status_code == status
    assert not DutyRecord.objects.exists()


# Reading and correcting a record ----------------------------------------------------


def test_a_returned_record_shows_its_reason_to_the_author_everywhere(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    item = item_of(branch_list)
    record = add_record(item, people.branch_secretary)
    services.record_return(record=record, by=people.committee_secretary, reason="缺少会议记录和照片")
    for url in [
        reverse("record_detail", args=[record.pk]),
        reverse("item_detail", args=[item.pk]),
        reverse("record_edit", args=[record.pk]),
        reverse("home"),
    ]:
        body = body_of(client, people.branch_secretary, url)
        assert "驳回理由" in body, url
        assert "缺少会议记录和照片" in body, url


def test_editing_a_returned_record_resubmits_it(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    item = item_of(branch_list)
    record = add_record(item, people.branch_secretary)
    services.record_return(record=record, by=people.committee_secretary, reason="太简单")
    body = body_of(client, people.branch_secretary, reverse("record_edit", args=[record.pk]))
    assert "重新提交" in body
    response = client.post(
        reverse("record_edit", args=[record.pk]),
        {"occurred_on": record.occurred_on.isoformat(), "content": "补充：讲了两个小时，32 人参加"},
        follow=True,
    )
    assert "重新提交审阅" in response.content.decode()
    record.refresh_from_db()
    assert record.status == DutyRecord.Status.SUBMITTED
    assert record.content.startswith("补充")


def test_an_accepted_record_cannot_be_edited(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    record = add_record(item_of(branch_list), people.branch_secretary)
    services.record_accept(record=record, by=people.committee_secretary, without_evidence=True)
    client.force_login(people.branch_secretary)
    response = client.post(
        reverse("record_edit", args=[record.pk]),
        {"occurred_on": record.occurred_on.isoformat(), "content": "改一改"},
        follow=True,
    )
    assert "已认可的记实不能修改" in response.content.decode()
    record.refresh_from_db()
    assert record.content != "改一改"


@pytest.mark.parametrize(
    ("who", "status"),
    [("branch_deputy", 200), ("branch_member", 403), ("committee_secretary", 403), ("outsider", 404)],
)
def test_a_record_is_edited_by_its_author_or_the_branch_leaders(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList, who: str, status: int
) -> None:
    record = add_record(item_of(branch_list), people.branch_secretary)
    client.force_login(getattr(people, who))
    assert client.get(reverse("record_edit", args=[record.pk])).status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [("branch_member", 200), ("committee_secretary", 200), ("sibling_secretary", 404), ("outsider", 404)],
)
def test_record_page_follows_the_organization_visibility(
    client: Client, people: SimpleNamespace, tree: Tree, branch_list: ResponsibilityList, who: str, status: int
) -> None:
    record = add_record(item_of(branch_list), people.branch_secretary)
    person = getattr(people, who, None) or holder(who, tree.branch_sibling)
    client.force_login(person)
    assert client.get(reverse("record_detail", args=[record.pk])).status_code == status


# Review -------------------------------------------------------------------------


def test_committee_accepts_a_record(client: Client, people: SimpleNamespace, branch_list: ResponsibilityList) -> None:
    record = add_record(item_of(branch_list), people.branch_secretary)
    body = body_of(client, people.committee_secretary, reverse("record_detail", args=[record.pk]))
    assert reverse("record_review", args=[record.pk]) in body
    response = client.post(
        reverse("record_review", args=[record.pk]), {"decision": "accept", "without_evidence": "on"}, follow=True
    )
    assert "已认可该记实" in response.content.decode()
    record.refresh_from_db()
    assert record.status == DutyRecord.Status.ACCEPTED
    assert record.reviewed_by == people.committee_secretary


def test_returning_without_a_reason_is_refused_with_a_message(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    record = add_record(item_of(branch_list), people.branch_secretary)
    client.force_login(people.committee_secretary)
    response = client.post(
        reverse("record_review", args=[record.pk]), {"decision": "return", "reason": "  "}, follow=True
    )
    assert "请填写驳回理由" in response.content.decode()
    record.refresh_from_db()
    assert record.status == DutyRecord.Status.SUBMITTED


def test_returning_with_a_reason_stops_the_record_counting(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    item = item_of(branch_list)
    record = add_record(item, people.branch_secretary)
    client.force_login(people.committee_secretary)
    client.post(reverse("record_review", args=[record.pk]), {"decision": "return", "reason": "没有佐证"})
    record.refresh_from_db()
    item.refresh_from_db()
    assert record.status == DutyRecord.Status.RETURNED
    assert record.review_reason == "没有佐证"
    assert item.period_done == 0


def test_branch_secretary_cannot_review_own_records(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    record = add_record(item_of(branch_list), people.branch_secretary)
    client.force_login(people.branch_secretary)
    response = client.post(reverse("record_review", args=[record.pk]), {"decision": "accept"})
    assert response.status_code == 403
    body = client.get(reverse("record_detail", args=[record.pk])).content.decode()
    assert reverse("record_review", args=[record.pk]) not in body
    record.refresh_from_db()
    assert record.status == DutyRecord.Status.SUBMITTED


@pytest.mark.parametrize(("who", "status"), [("sibling_township", 404), ("outsider", 404), ("branch_member", 403)])
def test_only_committees_above_review(
    client: Client, people: SimpleNamespace, tree: Tree, branch_list: ResponsibilityList, who: str, status: int
) -> None:
    record = add_record(item_of(branch_list), people.branch_secretary)
    person = getattr(people, who, None) or holder(who, tree.sibling_township)
    client.force_login(person)
    assert client.post(reverse("record_review", args=[record.pk]), {"decision": "accept"}).status_code == status


def test_review_needs_a_post(client: Client, people: SimpleNamespace, branch_list: ResponsibilityList) -> None:
    record = add_record(item_of(branch_list), people.branch_secretary)
    client.force_login(people.committee_secretary)
    assert client.get(reverse("record_review", args=[record.pk])).status_code == 405


def test_review_goes_back_to_the_queue_but_never_off_site(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    first = add_record(item_of(branch_list), people.branch_secretary)
    second = add_record(item_of(branch_list), people.branch_secretary)
    client.force_login(people.committee_secretary)
    queue = reverse("record_review_queue")
    response = client.post(
        reverse("record_review", args=[first.pk]), {"decision": "accept", "without_evidence": "on", "next": queue}
    )
    assert response["Location"] == queue
    response = client.post(
        reverse("record_review", args=[second.pk]),
        {"decision": "accept", "without_evidence": "on", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("record_detail", args=[second.pk])


# The review queue -------------------------------------------------------------------


def test_queue_lists_submitted_records_of_the_subtree_only(
    client: Client, people: SimpleNamespace, tree: Tree, branch_list: ResponsibilityList, category: object, year: int
) -> None:
    add_record(item_of(branch_list), people.branch_secretary, content="本镇支部的记实")
    accepted = add_record(item_of(branch_list), people.branch_secretary, content="已经认可的记实")
    services.record_accept(record=accepted, by=people.committee_secretary, without_evidence=True)
    other_secretary = holder("other_secretary", tree.sibling_branch)
    other_list = services.list_start(organization=tree.sibling_branch, year=year, by=other_secretary)
    other_item = services.list_item_add(
        responsibility_list=other_list,
        category=category,
        duty_type=DutyType.ORGANIZATION,
        content="乙镇条目",
        target_period=Period.YEAR,
        target_count=1,
        by=other_secretary,
    )
    add_record(other_item, other_secretary, content="乙镇支部的记实")

    body = body_of(client, people.committee_secretary, reverse("record_review_queue"))
    assert "本镇支部的记实" in body
    assert "已经认可的记实" not in body
    assert "乙镇支部的记实" not in body

    county_secretary = holder("county_secretary", tree.county)
    body = body_of(client, county_secretary, reverse("record_review_queue"))
    assert "本镇支部的记实" in body
    assert "乙镇支部的记实" in body
    filtered = body_of(client, county_secretary, reverse("record_review_queue") + "?q=乙镇")
    assert "乙镇支部的记实" in filtered
    assert "本镇支部的记实" not in filtered


def test_queue_is_for_committees(client: Client, people: SimpleNamespace) -> None:
    client.force_login(people.branch_secretary)
    assert client.get(reverse("record_review_queue")).status_code == 403


def test_empty_queue_says_what_to_do(client: Client, people: SimpleNamespace) -> None:
    body = body_of(client, people.committee_secretary, reverse("record_review_queue"))
    assert "暂无待审阅的记实" in body


def _count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_queue_query_count_does_not_grow_with_records(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    client.force_login(people.committee_secretary)
    url = reverse("record_review_queue")
    add_record(item_of(branch_list), people.branch_secretary)
    small = _count_queries(client, url)
    for item in branch_list.items.all():
        for _ in range(3):
            add_record(item, people.branch_secretary)
    assert _count_queries(client, url) == small


def test_item_and_record_pages_query_count_does_not_grow_with_records(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList, settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from tests.responsibility.test_evidence import png_file

    settings.MEDIA_ROOT = str(tmp_path)
    item = item_of(branch_list)
    client.force_login(people.branch_secretary)
    record = add_record(item, people.branch_secretary)
    item_url, record_url = reverse("item_detail", args=[item.pk]), reverse("record_detail", args=[record.pk])
    small = (_count_queries(client, item_url), _count_queries(client, record_url))
    for _ in range(4):
        services.record_add(
            item=item,
            occurred_on=timezone.localdate(),
            content="再记一次",
            done_by=people.branch_deputy,
            by=people.branch_deputy,
            files=[png_file(), png_file("二.png")],
        )
    services.record_update(
        record=record, occurred_on=record.occurred_on, content="加图", files=[png_file()], by=people.branch_secretary
    )
    assert (_count_queries(client, item_url), _count_queries(client, record_url)) == small
