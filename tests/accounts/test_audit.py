"""The audit trail: who changed what, when and from where; read by administrators and committees."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import audit_views, history
from accounts import services as account_services
from accounts.first_sign_in import sign_in_codes_issue
from accounts.history import audited_models
from accounts.models import FirstSignInCode, Organization, Position, User
from meetings import services as meeting_services
from meetings.defaults import ensure_default_kinds
from meetings.models import Attendance, MeetingKind
from meetings.services import MeetingFields
from members import services as member_services
from members.fields import MemberFields
from members.models import Member
from rectification import services as rectification_services
from responsibility import services as responsibility_services
from responsibility.models import Category
from reviews import services as review_services
from reviews.models import BallotBatch, Cycle, DutyReport, Indicator
from tests.clients import signed_in
from tests.conftest import Tree
from tests.factories import UserFactory
from tests.responsibility.conftest import approved_branch_list
from tests.reviews.test_cycle_views import create_data
from tests.test_settings import load_settings


def shown_history_ids(response: object) -> set[int]:
    return {row.history_id for row in response.context["items"]}  # type: ignore[attr-defined]


def test_a_change_through_a_page_keeps_who_and_from_where(tree: Tree, people: SimpleNamespace) -> None:
    response = signed_in(people.committee_secretary, REMOTE_ADDR="10.1.2.3").post(
        reverse("cycle_create"), create_data(tree.township)
    )
    assert response.status_code == 302
    cycle = Cycle.objects.get(organization=tree.township)
    created = cycle.history.get(history_type="+")
    assert created.history_user == people.committee_secretary
    assert created.ip_address == "10.1.2.3"


def test_an_update_keeps_the_changed_fields(tree: Tree, people: SimpleNamespace) -> None:
    tree.branch.name = "一村党支部（更名）"
    tree.branch.save()
    latest, previous = tree.branch.history.all()[:2]
    delta = latest.diff_against(previous)
    assert [change.field for change in delta.changes] == ["name"]


def test_a_delete_is_kept(tree: Tree, people: SimpleNamespace) -> None:
    position = Position.objects.get(person=people.branch_member)
    position_id = position.pk
    position.delete()
    assert Position.history.filter(id=position_id, history_type="-").exists()


def test_adding_a_child_organization_is_kept(tree: Tree) -> None:
    child = Organization.objects.add_child(
        tree.general, create_kwargs={"name": "四村党支部", "code": "C-T1-G-B4", "kind": "branch"}
    )
    row = Organization.history.get(id=child.pk)
    assert row.history_type == "+"
    assert row.path == child.path


def test_a_branch_secretary_cannot_open_the_audit_log(people: SimpleNamespace) -> None:
    assert signed_in(people.branch_secretary).get(reverse("audit_log")).status_code == 403


def test_a_committee_sees_its_subtree_but_not_a_sibling(tree: Tree, people: SimpleNamespace) -> None:
    response = signed_in(people.committee_secretary).get(reverse("audit_log"), {"model": "accounts.Organization"})
    assert response.status_code == 200
    shown = shown_history_ids(response)
    branch_row = Organization.history.get(id=tree.branch.pk).history_id
    sibling_row = Organization.history.get(id=tree.sibling_branch.pk).history_id
    assert branch_row in shown
    assert sibling_row not in shown


def test_an_administrator_sees_everything(tree: Tree, people: SimpleNamespace) -> None:
    response = signed_in(people.admin).get(reverse("audit_log"), {"model": "accounts.Organization"})
    assert shown_history_ids(response) == set(Organization.history.values_list("history_id", flat=True))


def test_the_page_shows_changes_with_a_constant_number_of_queries(
    tree: Tree, people: SimpleNamespace, django_assert_max_num_queries: object
) -> None:
    for number in range(5):
        tree.branch.name = f"一村党支部{number}"
        tree.branch.save()
    client = signed_in(people.admin)
    response = client.get(reverse("audit_log"))
    assert "名称" in response.content.decode()
    with django_assert_max_num_queries(30):  # type: ignore[operator]
        client.get(reverse("audit_log"))


def test_pruning_keeps_rows_younger_than_the_retention(tree: Tree) -> None:
    old = Organization.history.get(id=tree.branch.pk)
    old.history_date = timezone.now() - timedelta(days=400)
    old.save()
    call_command("prune_audit", stdout=StringIO())
    assert not Organization.history.filter(history_id=old.history_id).exists()
    assert Organization.history.filter(id=tree.township.pk).exists()


def test_beat_prunes_the_audit_trail_every_night_with_the_commands_rule(tree: Tree) -> None:
    from accounts.tasks import prune_audit
    from config.celery import app

    schedule = app.conf.beat_schedule["accounts-prune-audit"]
    assert schedule["task"] == "accounts.prune_audit" in app.tasks
    assert (schedule["schedule"].hour, schedule["schedule"].minute) == ({3}, {40})

    now = timezone.now()
    Organization.history.filter(id=tree.branch.pk).update(history_date=now - timedelta(days=366))
    Organization.history.filter(id=tree.branch_sibling.pk).update(history_date=now - timedelta(days=364))
    old = Organization.history.filter(id=tree.branch.pk).count()
    before = Organization.history.count()
    assert old

    # Called as beat's worker calls it (an eager .delay() here would leave Celery's "inside a task"
    # flag set for this process, and a later test that waits on a real worker's result would fail).
    assert prune_audit() == old
    assert not Organization.history.filter(id=tree.branch.pk).exists()
    assert Organization.history.filter(id=tree.branch_sibling.pk).exists()
    assert Organization.history.count() == before - old
    assert prune_audit() == 0  # nothing left to prune


def test_a_retention_under_180_days_is_refused_at_start() -> None:
    result = load_settings("settings.AUDIT_RETENTION_DAYS", AUDIT_RETENTION_DAYS="90")
    assert result.returncode != 0
    assert "AUDIT_RETENTION_DAYS" in result.stderr
    assert load_settings("settings.AUDIT_RETENTION_DAYS").stdout.strip() == "365"


@pytest.mark.parametrize("model", ["accounts.Position", "rectification.ExtensionRequest", "reviews.Problem"])
def test_a_model_filter_reaches_the_organization(people: SimpleNamespace, model: str) -> None:
    assert signed_in(people.committee_secretary).get(reverse("audit_log"), {"model": model}).status_code == 200


# Every reader sees on the audit page no more than on the object's own pages ------------------------


@dataclass(frozen=True)
class Planted:
    """A distinct value written into one field of one audited model, and the pages that show its object."""

    model: str
    value: str
    pages: tuple[str, ...]
    on_page: str = ""
    """How the pages write the value, when not as it is stored (a code is printed in two groups of five)."""


def _county_secretary(tree: Tree) -> User:
    person = UserFactory(username="county_secretary", full_name="县委书记")
    account_services.position_assign(person=person, organization=tree.county, role=Position.Role.SECRETARY)
    return person


def _cycle(organization: Organization, participants: list[Organization], by: User, title: str) -> Cycle:
    today = timezone.localdate()
    cycle = review_services.cycle_create(
        organization=organization,
        year=today.year,
        title="述职评议",
        report_due=today + timedelta(days=10),
        scoring_due=today + timedelta(days=20),
        ballot_opens=today - timedelta(days=1),
        ballot_closes=today + timedelta(days=10),
        participants=participants,
        by=by,
    )
    review_services.cycle_update(cycle=cycle, by=by, title=title)
    Indicator.objects.create(cycle=cycle, category="组织建设", name="基层组织建设", max_points=100)
    return review_services.cycle_open(cycle=cycle, by=by)


def _write(report: DutyReport, text: str, by: User) -> None:
    report.refresh_from_db()
    sections = dict.fromkeys(report.cycle.section_titles(), f"<p>{text}</p>")
    review_services.report_save(report=report, sections=sections, revision=report.revision, by=by)


def plant_every_model(tree: Tree, people: SimpleNamespace, county: User) -> list[Planted]:
    """One changed value of every audited model, each in the state a page hides from someone, through the
    services where they change it (and through the database where nothing in the product changes it)."""
    year = timezone.localdate().year
    category = Category.objects.get(name="组织建设")
    secretary, branch = people.committee_secretary, people.branch_secretary
    planted: list[Planted] = []

    tree.direct_branch.name = "三村党支部（探针更名）"
    tree.direct_branch.save()
    planted.append(
        Planted("accounts.Organization", "探针更名", (reverse("organization_detail", args=[tree.direct_branch.pk]),))
    )
    position = Position.objects.get(person=people.branch_deputy)
    position.portfolio = "探针分工"
    position.save()
    planted.append(Planted("accounts.Position", "探针分工", (reverse("organization_detail", args=[tree.branch.pk]),)))
    # A first-sign-in code's expiry: the slips list shows it to whoever may print the branch's slips.
    sign_in_codes_issue(people=[people.branch_member], by=secretary)
    code = FirstSignInCode.objects.get(person=people.branch_member)
    code.expires_at = datetime(2031, 1, 2, 4, tzinfo=UTC)
    code.save()
    slips_page = reverse("organization_sign_in_slips", args=[tree.branch.pk]) + "?all=1"
    planted.append(Planted("accounts.FirstSignInCode", "2031-01-02", (slips_page,)))

    # A draft plan of the township: its committee's own.
    plan = responsibility_services.work_plan_create(organization=tree.township, year=year, title="要点", by=secretary)
    plan.title = "探针草稿要点"
    plan.save()
    point = responsibility_services.work_point_add(plan=plan, category=category, text="要点条目", by=secretary)
    point.text = "探针要点条目"
    point.save()
    plan_page = (reverse("work_plan_detail", args=[plan.pk]),)
    planted += [
        Planted("responsibility.WorkPlan", "探针草稿要点", plan_page),
        Planted("responsibility.WorkPoint", "探针要点条目", plan_page),
    ]

    # A list returned to the branch's sibling and a draft item of it; the branch's approved list and a record.
    returned = responsibility_services.list_start(organization=tree.branch_sibling, year=year, by=secretary)
    item = responsibility_services.list_item_add(
        responsibility_list=returned,
        category=category,
        duty_type="organization",
        content="条目",
        target_period="year",
        target_count=1,
        by=secretary,
    )
    responsibility_services.list_submit(responsibility_list=returned, by=secretary)
    responsibility_services.list_return(responsibility_list=returned, by=secretary, comment="探针退回意见")
    responsibility_services.list_item_update(
        item=item,
        category=category,
        duty_type="organization",
        content="探针条目内容",
        target_period="year",
        target_count=1,
        by=secretary,
    )
    list_page = (reverse("list_detail", args=[returned.pk]),)
    planted += [
        Planted("responsibility.ResponsibilityList", "探针退回意见", list_page),
        Planted("responsibility.ListItem", "探针条目内容", list_page),
    ]
    approved = approved_branch_list(tree, people, category, year)
    record = responsibility_services.record_add(
        item=approved.items.first(), occurred_on=timezone.localdate(), content="履责", done_by=branch, by=branch
    )
    responsibility_services.record_update(
        record=record, occurred_on=record.occurred_on, content="探针履责内容", by=branch
    )
    planted.append(Planted("responsibility.DutyRecord", "探针履责内容", (reverse("record_detail", args=[record.pk]),)))
    for text in ("承诺", "探针承诺草稿"):
        responsibility_services.commitment_save(
            organization=tree.branch, year=year, text=text, publish=False, by=branch
        )
    planted.append(
        Planted(
            "responsibility.PublicCommitment",
            "探针承诺草稿",
            (reverse("commitment_edit", args=[tree.branch.pk, year]),),
        )
    )

    # The township's cycle over two branches: one's draft, the other's submitted text; codes and a batch.
    cycle = _cycle(tree.township, [tree.branch, tree.direct_branch], secretary, "探针考核名称")
    planted.append(Planted("reviews.Cycle", "探针考核名称", (reverse("cycle_detail", args=[cycle.pk]),)))
    draft = cycle.reports.get(organization=tree.branch)
    _write(draft, "草稿", branch)
    _write(draft, "探针草稿正文", branch)
    direct_secretary = UserFactory(username="direct_secretary")
    account_services.position_assign(
        person=direct_secretary, organization=tree.direct_branch, role=Position.Role.SECRETARY
    )
    submitted = cycle.reports.get(organization=tree.direct_branch)
    _write(submitted, "提交前", direct_secretary)
    _write(submitted, "探针提交正文", direct_secretary)
    review_services.report_submit(report=submitted, by=direct_secretary)
    planted += [
        Planted("reviews.DutyReport", "探针草稿正文", (reverse("report_detail", args=[draft.pk]),)),
        Planted("reviews.DutyReport", "探针提交正文", (reverse("report_detail", args=[submitted.pk]),)),
    ]
    [code] = review_services.ballot_codes_generate(
        cycle=cycle, organization=tree.branch, count=1, by=secretary, reason="超额"
    )
    batch = BallotBatch.objects.get(cycle=cycle)
    batch.reason = "探针超额理由"
    batch.save()
    code.code = "PROBE12345"
    code.save()
    planted += [
        Planted("reviews.BallotBatch", "探针超额理由", (reverse("ballot_codes", args=[cycle.pk]),)),
        Planted(
            "reviews.BallotCode",
            "PROBE12345",
            (reverse("ballot_sheet", args=[cycle.pk, tree.branch.pk, 1]),),
            on_page="PROBE 12345",
        ),
    ]

    # The county's cycle over the township: its comment, daily score and a problem, not yet closed.
    county_cycle = _cycle(tree.county, [tree.township], county, "县委考核")
    report = county_cycle.reports.get()
    review_services.report_comment_save(report=report, comment="", by=county)
    review_services.report_comment_save(
        report=report, comment="探针县委点评", daily_score="61.3", daily_reason="探针评定理由", by=county
    )
    problem = review_services.problem_add(report=report, text="问题", by=county)
    problem.text = "探针县委问题"
    problem.save()
    report_pages = (reverse("report_assess", args=[report.pk]), reverse("report_result", args=[report.pk]))
    planted += [
        Planted("reviews.DutyReport", "探针县委点评", report_pages),
        Planted("reviews.DutyReport", "探针评定理由", report_pages),
        Planted("reviews.DutyReport", "61.3", report_pages),
        Planted("reviews.Problem", "探针县委问题", report_pages),
    ]

    # The county's finding on the township, in no task yet; a task of the branch with its extension.
    finding = rectification_services.finding_raise(
        organization=tree.township, year=year, source="inspection", description="问题", category=category, by=county
    )
    finding.description = "探针督查问题"
    finding.save()
    planted.append(Planted("rectification.Finding", "探针督查问题", (f"{reverse('findings')}?year={year}",)))
    branch_finding = rectification_services.finding_raise(
        organization=tree.branch,
        year=year,
        source="self_check",
        description="自查问题",
        category=category,
        by=secretary,
    )
    task = rectification_services.task_create(
        findings=[branch_finding],
        title="整改",
        responsible=branch,
        deadline=timezone.localdate() + timedelta(days=30),
        by=secretary,
    )
    rectification_services.task_plan(task=task, measures="探针整改措施", standard="标准", commitment="承诺", by=branch)
    extension = rectification_services.extension_request(
        task=task, deadline=task.deadline + timedelta(days=5), reason="延期", by=branch
    )
    extension.reason = "探针延期理由"
    extension.save()
    task_page = (reverse("task_detail", args=[task.pk]),)
    planted += [
        Planted("rectification.RectificationTask", "探针整改措施", task_page),
        Planted("rectification.ExtensionRequest", "探针延期理由", task_page),
    ]

    # The branch's roll: a party group and a member.
    group = member_services.group_add(organization=tree.branch, by=branch, name="探针党小组")
    member = member_services.member_add(
        organization=tree.branch,
        by=branch,
        fields=MemberFields(name="探针党员", gender=Member.Gender.FEMALE, joined_on=date(2015, 7, 1)),
    )
    planted += [
        Planted("members.PartyGroup", "探针党小组", (reverse("member_groups", args=[tree.branch.pk]),)),
        Planted("members.Member", "探针党员", (reverse("member_detail", args=[member.pk]),)),
    ]
    assert group.pk

    # Organizational life: a meeting's topic, a person's leave on its sheet, and the township's rule.
    member_services.member_add(
        organization=tree.branch,
        by=branch,
        fields=MemberFields(name="探针参会党员", gender=Member.Gender.MALE, joined_on=date(2016, 7, 1)),
    )
    ensure_default_kinds()
    assembly = MeetingKind.objects.get(code=MeetingKind.ASSEMBLY)
    fields = MeetingFields(kind=assembly, starts_at=timezone.now(), place="会议室", topic="会议主题")
    meeting = meeting_services.meeting_plan(organization=tree.branch, by=branch, fields=fields)
    meeting_services.meeting_update(
        meeting=meeting,
        by=branch,
        fields=MeetingFields(kind=assembly, starts_at=timezone.now(), place="会议室", topic="探针会议主题"),
    )
    row = meeting.attendances.get(member__name="探针参会党员")
    meeting_services.attendance_mark(row=row, by=branch, status=Attendance.Status.LEAVE, reason="外出")
    meeting_services.attendance_mark(row=row, by=branch, status=Attendance.Status.LEAVE, reason="探针请假事由")
    lecture = MeetingKind.objects.get(code=MeetingKind.LECTURE)
    meeting_services.rule_set(organization=tree.township, kind=lecture, by=secretary, period="quarter", count=2)
    meeting_services.rule_set(organization=tree.township, kind=lecture, by=secretary, period="half", count=2)
    meeting_page = (reverse("meeting_detail", args=[meeting.pk]),)
    planted += [
        Planted("meetings.Meeting", "探针会议主题", meeting_page),
        Planted("meetings.Attendance", "探针请假事由", meeting_page),
        Planted("meetings.FrequencyRule", "half", (reverse("meeting_rules", args=[tree.township.pk]),), "每半年 ≥ 2"),
    ]
    return planted


def _audit_text(client: Client, model: str) -> str:
    """Every page of the audit log of one model, as one text."""
    texts, number = [], 1
    while True:
        response = client.get(reverse("audit_log"), {"model": model, "page": number})
        texts.append(response.content.decode())
        if not response.context["page"].has_next():
            return "".join(texts)
        number += 1


def test_no_reader_sees_on_the_audit_page_a_value_their_pages_do_not_show(tree: Tree, people: SimpleNamespace) -> None:
    county = _county_secretary(tree)
    planted = plant_every_model(tree, people, county)
    # Results, closing notes, transfers and roll exports are only ever created (their own tests read them).
    created_only = ("reviews.Result", "reviews.ClosingNote", "members.Transfer", "members.RollExport")
    assert {plant.model for plant in planted} >= {
        audited.label for audited in audited_models() if audited.label not in created_only
    }
    readers = {
        "committee_secretary": people.committee_secretary,
        "committee_member": people.committee_member,
        "committee_staff": people.committee_staff,
        "grantee": people.grantee,
        "admin": people.admin,
        "county_secretary": county,
    }
    refused = [people.branch_secretary, people.branch_member, people.committee_party_member, people.outsider]
    for person in refused:
        assert signed_in(person).get(reverse("audit_log")).status_code == 403

    seen: dict[str, set[str]] = {}
    for name, reader in readers.items():
        client = signed_in(reader)
        seen[name] = set()
        for plant in planted:
            if plant.value not in _audit_text(client, plant.model):
                continue
            seen[name].add(plant.value)
            pages = "".join(client.get(url).content.decode() for url in plant.pages)
            shown_as = plant.on_page or plant.value
            assert shown_as in pages, f"{name} reads {plant.value!r} ({plant.model}) only on the audit page"

    # Not vacuous: the administrator reads every value, each committee what its pages show it.
    assert seen["admin"] == {plant.value for plant in planted}
    assert {"探针退回意见", "探针条目内容", "探针草稿要点", "PROBE12345", "探针履责内容"} <= seen["committee_secretary"]
    assert {"探针草稿正文", "探针县委点评", "61.3", "探针县委问题", "探针承诺草稿"}.isdisjoint(
        seen["committee_secretary"]
    )
    assert {"探针县委点评", "61.3", "探针县委问题", "探针督查问题"} <= seen["county_secretary"]
    assert {"探针草稿正文", "PROBE12345", "探针草稿要点"}.isdisjoint(seen["county_secretary"])
    assert {"探针草稿要点", "PROBE12345", "探针县委点评"}.isdisjoint(seen["grantee"])


# The session, the user, the reader's scope (two; none for an administrator), the unread-notification badge.
REQUEST_QUERIES = 5


def _queries(client: Client, **params: str) -> tuple[int, int]:
    """The page's queries, and how many models on it show a change (each reads the rows before its own once)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("audit_log"), params)
    assert response.status_code == 200
    return len(queries), len({type(row) for row in response.context["items"] if row.previous_id})


def test_the_page_reads_a_fixed_number_of_queries_however_many_rows_its_rules_judge(
    tree: Tree, people: SimpleNamespace
) -> None:
    county = _county_secretary(tree)
    plant_every_model(tree, people, county)
    labels = [audited.label for audited in audited_models()]
    readers = (people.committee_secretary, people.grantee, county, people.admin)
    clients = [(signed_in(reader), REQUEST_QUERIES - 2 * reader.is_superuser) for reader in readers]

    def every_page() -> list[tuple[int, int]]:
        counted = []
        for client, request_queries in clients:
            for params in ({}, *({"model": label} for label in labels)):
                count, with_changes = _queries(client, **params)
                # Each tracked model's rows in one query (none when the reader's filter is empty by
                # construction), then the rows before those shown, once per model on the page.
                assert count <= request_queries + (len(labels) if not params else 1) + with_changes
                counted.append((count - with_changes, with_changes))
        return counted

    before = every_page()
    # Three more rows of every object, each judged by its model's rule from what was fetched with it.
    for _round in range(3):
        for audited in audited_models():
            for instance in audited.model.objects.all():
                instance.save()
    after = every_page()
    assert [rows for rows, _changes in after] == [rows for rows, _changes in before]
    assert _queries(clients[0][0], model="reviews.DutyReport") == (REQUEST_QUERIES + 2, 1)
    admin, admin_request_queries = clients[-1]
    assert _queries(admin, model="reviews.BallotCode") == (admin_request_queries + 2, 1)


def test_a_tracked_model_no_app_registered_fails_the_system_check(monkeypatch: pytest.MonkeyPatch) -> None:
    assert history.check_audited_models_registered() == []
    registered = dict(history._REGISTER)
    del registered["reviews.BallotCode"]
    monkeypatch.setattr(history, "_REGISTER", registered)
    [error] = history.check_audited_models_registered()
    assert error.id == "accounts.E001"
    assert "reviews.BallotCode" in error.msg


def test_the_audit_trail_names_no_domain_app() -> None:
    """The bottom layer reads each app's register; the rules and the model names live in the apps."""
    for module in (history, audit_views):
        source = inspect.getsource(module)
        assert not re.search(r"\b(responsibility|reviews|rectification)\b", source), module.__name__
