"""In real Chromium on phones: the branch secretary plans a 支委会 and opens its sign-in, three committee
members sign in on their own phones from the code on the host's screen, one member is marked 请假, the
secretary closes the meeting with its minutes and a photo, and the list item "每月召开支委会" is green with
the meeting as its record (一次录入，多处使用); the township committee sees the branch's organizational life."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import Position
from meetings import progress as life_progress
from meetings import services
from meetings.models import Attendance, LifeLateMark, Meeting, MeetingKind
from meetings.services import MeetingFields
from members import services as roll
from members.fields import MemberFields
from members.models import Member
from responsibility import progress as list_progress
from responsibility.models import Category, DutyRecord, LateMark, ListItem, Period
from seeding.demo.meetings import default_kinds
from seeding.demo.responsibility import demo_png
from tests.clients import sign_in
from tests.factories import TEST_PASSWORD, UserFactory
from tests.meetings.conftest import life  # noqa: F401 - fixture
from tests.members.conftest import id_number
from tests.responsibility.conftest import approved_branch_list

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test-results"
TOPIC = "研究年底党员发展和困难群众走访工作"
LEAVE_REASON = "在外地参加农技培训"
ITEM = "每月召开支委会"


def phone_page(chromium: Any) -> Any:
    """Another phone, with its own cookies (another person signing in)."""
    context = chromium.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def fits_the_phone(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= 375)


def shoot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def committee_member(tree: Any, by: Any, username: str, name: str, serial: int) -> Member:
    """One more member of the branch committee, on the roll with a login."""
    person = UserFactory(username=username, full_name=name)
    accounts_services.position_assign(person=person, organization=tree.branch, role=Position.Role.COMMITTEE_MEMBER)
    fields = MemberFields(name=name, gender=Member.Gender.MALE, joined_on=date(2012, 7, 1), id_number=id_number(serial))
    return roll.member_add(organization=tree.branch, by=by, fields=fields, person=person)


def held_every_month_before_this_one(tree: Any, by: Any, kind: MeetingKind) -> None:
    """The branch's 支委会 of the months already over, each recorded on the day it was held, so the monthly
    item's light depends on this month's meeting alone."""
    today = timezone.localdate()
    for span in list_progress.periods_of(today.year, Period.MONTH):
        if span.end >= today:
            break
        starts_at = timezone.make_aware(datetime.combine(span.start + timedelta(days=4), time(19)))
        fields = MeetingFields(kind=kind, starts_at=starts_at, place="村党群服务中心", topic="研究本月党建工作")
        meeting = services.meeting_plan(organization=tree.branch, by=by, fields=fields)
        services.meeting_close(meeting=meeting, by=by, minutes="研究本月党建重点工作。")
        recorded = starts_at + timedelta(hours=2)
        Meeting.objects.filter(pk=meeting.pk).update(closed_at=recorded)
        DutyRecord.objects.filter(meeting_link__meeting=meeting).update(submitted_at=recorded, created_at=recorded)
    # The marks written while those months were being entered today record a past that never happened.
    items = list(ListItem.objects.filter(list__organization=tree.branch, list__year=today.year))
    LateMark.objects.filter(item__in=items).delete()
    LifeLateMark.objects.filter(organization=tree.branch).delete()
    list_progress.refresh_items([item.pk for item in items])
    life_progress.refresh([tree.branch.pk], today.year)


def test_a_committee_meeting_signed_in_on_phones_is_the_record_of_the_monthly_item(  # type: ignore[no-untyped-def]
    live_server,
    phone,
    chromium,
    transactional_db,
    settings,
    tmp_path: Path,
    tree,
    people,
    life: SimpleNamespace,  # noqa: F811
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    # A transactional test before this one may have flushed what the migrations made.
    default_kinds()
    category, _created = Category.objects.get_or_create(name="组织建设", defaults={"order": 3})
    year = timezone.localdate().year
    the_list = approved_branch_list(tree, people, category, year)
    item = the_list.items.get(content=ITEM)
    secretary_user = people.branch_secretary
    third = committee_member(tree, secretary_user, "branch_committee_third", "冯委员", 21)
    on_leave = committee_member(tree, secretary_user, "branch_committee_leave", "陈委员", 22)
    held_every_month_before_this_one(tree, secretary_user, MeetingKind.objects.get(code=MeetingKind.COMMITTEE))
    photo = tmp_path / "支委会现场.png"
    photo.write_bytes(demo_png((200, 30, 30), size=32))
    url = live_server.url

    # The secretary plans a 支委会 for now, on a phone.
    secretary = phone
    sign_in(secretary, url, secretary_user.username, TEST_PASSWORD)
    secretary.goto(f"{url}/meetings/o/{tree.branch.pk}/new/?kind={MeetingKind.COMMITTEE}")
    secretary.get_by_role("heading", name="计划会议").wait_for()
    starts_at = timezone.localtime() - timedelta(minutes=2)
    secretary.get_by_label("时间").fill(f"{starts_at:%Y-%m-%dT%H:%M}")
    secretary.get_by_label("地点").fill("村党群服务中心二楼会议室")
    secretary.get_by_label("主题").fill(TOPIC)
    assert fits_the_phone(secretary)
    secretary.get_by_role("button", name="保存").click()
    secretary.get_by_role("heading", name=TOPIC).wait_for()
    # The branch committee is expected: the secretary, the deputy and three committee members.
    assert secretary.locator("#sign-in-sheet tbody tr").count() == 5
    meeting = Meeting.objects.get(topic=TOPIC)

    # The sign-in opens on the host's screen: the QR code and the code of this minute.
    secretary.get_by_role("button", name="开始签到").click()
    secretary.get_by_role("heading", name="请用手机扫码签到").wait_for()
    assert secretary.get_by_role("img", name="签到二维码").is_visible()
    code = secretary.locator("#sign-in-code").inner_text().strip()
    assert len(code) == 6
    assert code.isdigit()
    assert fits_the_phone(secretary)
    shoot(secretary, "life-code-screen-375.png")
    address = f"{url}/meetings/{meeting.pk}/sign-in/?code={code}"

    # Three committee members, each on their own phone, open the scanned address and confirm.
    for person in (people.branch_deputy, people.branch_member_of_committee, third.person):
        member_phone = phone_page(chromium)
        try:
            sign_in(member_phone, url, person.username, TEST_PASSWORD)
            member_phone.goto(address)
            member_phone.get_by_role("heading", name="签到").wait_for()
            assert member_phone.get_by_label("签到码").input_value() == code
            assert fits_the_phone(member_phone)
            member_phone.get_by_role("button", name="确认签到").click()
            member_phone.get_by_text("签到成功").wait_for()
            if person == third.person:
                shoot(member_phone, "life-signed-in-375.png")
        finally:
            member_phone.context.close()
    assert set(
        Attendance.objects.filter(meeting=meeting, status=Attendance.Status.PRESENT).values_list("member", flat=True)
    ) == {life.deputy.pk, life.committee.pk, third.pk}

    # Back on the meeting: the secretary marks 陈委员 on leave with the reason, and signs in too.
    secretary.goto(f"{url}/meetings/{meeting.pk}/")
    row = secretary.locator(f'#sign-in-sheet tr[data-member="{on_leave.name}"]')
    row.locator("select").select_option(label="请假")
    row.get_by_placeholder("请假事由").fill(LEAVE_REASON)
    row.get_by_role("button", name="登记").click()
    secretary.get_by_text(f"已登记{on_leave.name}的参会情况").wait_for()
    row = secretary.locator(f'#sign-in-sheet tr[data-member="{on_leave.name}"]')
    assert row.get_attribute("data-status") == Attendance.Status.LEAVE
    assert LEAVE_REASON in row.inner_text()
    secretary.goto(f"{url}/meetings/{meeting.pk}/sign-in/?code={services.sign_in_code(meeting)}")
    secretary.get_by_role("button", name="确认签到").click()
    secretary.get_by_text("签到成功").wait_for()

    # Closed with its minutes, then a photo of the meeting.
    secretary.get_by_role("link", name="登记召开（填写会议记录）").click()
    secretary.get_by_label("会议记录").fill("一、研究确定两名发展对象；二、分工走访 12 户困难群众，月底前完成。")
    secretary.get_by_role("button", name="登记召开").click()
    secretary.get_by_text("会议已登记为召开").wait_for()
    secretary.get_by_label("照片或文件").set_input_files(str(photo))
    secretary.get_by_role("button", name="上传").click()
    secretary.get_by_text("佐证已上传").wait_for()
    assert secretary.get_by_role("link", name="支委会现场.png").is_visible()
    assert ITEM in secretary.locator("main").inner_text()
    assert fits_the_phone(secretary)
    shoot(secretary, "life-meeting-held-375.png")

    # The list item is green, with the meeting as its record: nobody typed it.
    secretary.goto(f"{url}/items/{item.pk}/")
    secretary.get_by_role("heading", name=ITEM).wait_for()
    assert secretary.locator("dl.facts [data-light]").first.get_attribute("data-light") == "green"
    record = secretary.locator("article.record").first
    assert TOPIC in record.inner_text()
    assert "应到 5 人，实到 4 人，请假 1 人" in record.inner_text()
    shoot(secretary, "life-item-green-375.png")

    # The township committee sees the branch's organizational life and the meeting in it.
    township = phone_page(chromium)
    try:
        sign_in(township, url, people.committee_secretary.username, TEST_PASSWORD)
        township.goto(f"{url}/meetings/o/{tree.branch.pk}/{year}/")
        township.get_by_role("heading", name=f"{year} 年组织生活").wait_for()
        assert tree.branch.name in township.locator("p.eyebrow").inner_text()
        row = township.locator("#meetings-table tr", has=township.get_by_role("link", name=TOPIC))
        assert "5 / 4 / 1" in row.inner_text()
        assert fits_the_phone(township)
        shoot(township, "life-township-year-375.png")
    finally:
        township.context.close()
