"""The roll's services: every rule and refusal, and nothing saved lost on a refusal."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.models import Position
from accounts.services import position_assign, position_end
from foundation.errors import DomainError
from members import services
from members.fields import MigrantDetails
from members.models import Member, MemberStatusChange, PartyGroup, Transfer
from notifications.models import Notification
from tests.factories import UserFactory
from tests.members.conftest import fields, id_number

pytestmark = pytest.mark.django_db


def test_branch_secretary_adds_a_member_with_birth_date_from_the_id_number(tree: Any, people: SimpleNamespace) -> None:
    number = id_number(7, "19851224")
    member = services.member_add(organization=tree.branch, by=people.branch_secretary, fields=fields(id_number=number))
    assert member.birth_date == date(1985, 12, 24)
    assert member.id_number == number
    assert member.status == Member.Status.NORMAL


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "  "}, "请填写姓名"),
        ({"gender": "x"}, "性别"),
        ({"category": Member.Category.PROBATIONARY}, "预备党员须填写预计转正日期"),
        ({"full_membership_due": date(2015, 7, 1)}, "须晚于入党日期"),
        ({"full_membership_due": date(2014, 1, 1)}, "须晚于入党日期"),
        ({"id_number": "12345"}, "18 位"),
        ({"id_number": "110101199001010011"}, "校验不通过"),
        ({"id_number": "110101199002300010"}, "校验不通过"),
        ({"joined_on": date.today() + timedelta(days=3)}, "不能晚于今天"),
    ],
)
def test_bad_member_fields_are_refused_and_nothing_is_saved(
    tree: Any, people: SimpleNamespace, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(DomainError, match=message):
        services.member_add(organization=tree.branch, by=people.branch_secretary, fields=fields(**overrides))
    assert not Member.objects.exists()


def test_an_id_number_is_unique_among_current_members_across_rolls(
    roll: SimpleNamespace, tree: Any, people: Any
) -> None:
    with pytest.raises(DomainError, match="已有在册党员使用该身份证号"):
        services.member_add(organization=tree.branch, by=people.branch_secretary, fields=fields(id_number=id_number(3)))
    # Once the holder has left the product, the number is free again.
    services.member_transfer_out(member=roll.sibling, by=people.admin, on=timezone.localdate(), to_text="外省某支部")
    services.member_add(organization=tree.branch, by=people.branch_secretary, fields=fields(id_number=id_number(3)))


def test_a_party_group_of_another_organization_is_refused(roll: SimpleNamespace, tree: Any, people: Any) -> None:
    other = services.group_add(organization=tree.branch_sibling, by=people.admin, name="别的小组")
    with pytest.raises(DomainError, match="不属于本组织"):
        services.member_update(member=roll.full, by=people.branch_secretary, fields=fields(party_group=other))


@pytest.mark.parametrize(
    "actor", ["committee_secretary", "branch_member", "outsider", "grantee", "committee_party_member"]
)
def test_only_the_branch_keeps_its_roll(tree: Any, people: SimpleNamespace, actor: str) -> None:
    with pytest.raises(PermissionDenied):
        services.member_add(organization=tree.branch, by=getattr(people, actor), fields=fields())
    assert not Member.objects.exists()


@pytest.mark.parametrize("actor", ["branch_secretary", "branch_deputy", "branch_member_of_committee", "branch_staff"])
def test_every_leading_role_of_the_branch_keeps_the_roll(tree: Any, people: SimpleNamespace, actor: str) -> None:
    services.member_add(organization=tree.branch, by=getattr(people, actor), fields=fields())
    assert Member.objects.filter(organization=tree.branch).count() == 1


def test_an_ended_position_keeps_the_roll_no_longer(tree: Any, people: SimpleNamespace) -> None:
    position = people.branch_secretary.positions.get()
    position_end(position=position)
    people.branch_secretary = type(people.branch_secretary).objects.get(pk=people.branch_secretary.pk)
    with pytest.raises(PermissionDenied):
        services.member_add(organization=tree.branch, by=people.branch_secretary, fields=fields())


def test_member_update_keeps_the_rules(roll: SimpleNamespace, people: SimpleNamespace) -> None:
    updated = services.member_update(
        member=roll.full, by=people.branch_secretary, fields=fields(name="王一一", id_number=id_number(1))
    )
    assert updated.name == "王一一"
    with pytest.raises(DomainError):
        services.member_update(member=roll.full, by=people.branch_secretary, fields=fields(id_number=id_number(2)))
    roll.full.refresh_from_db()
    assert roll.full.name == "王一一"


def test_status_change_is_recorded_with_who_and_when(roll: SimpleNamespace, people: SimpleNamespace) -> None:
    change = services.member_status_change(
        member=roll.full,
        by=people.branch_secretary,
        status=Member.Status.MIGRANT,
        on=date(2026, 3, 1),
        note="外出务工",
        migrant=MigrantDetails(
            where="广东省深圳市", since=date(2026, 3, 1), contact="13800000000", certificate="LD001"
        ),
    )
    roll.full.refresh_from_db()
    assert roll.full.status == Member.Status.MIGRANT
    assert roll.full.migrant_where == "广东省深圳市"
    assert (change.from_status, change.to_status, change.by) == (
        Member.Status.NORMAL,
        Member.Status.MIGRANT,
        people.branch_secretary,
    )
    services.member_status_change(member=roll.full, by=people.branch_secretary, status="normal", on=date(2026, 9, 1))
    roll.full.refresh_from_db()
    assert roll.full.migrant_where == ""
    assert list(roll.full.status_changes.values_list("to_status", flat=True)) == ["normal", "migrant"]


def test_status_history_is_immutable(roll: SimpleNamespace, people: SimpleNamespace) -> None:
    change = services.member_status_change(
        member=roll.full, by=people.branch_secretary, status=Member.Status.LOST, on=date(2026, 3, 1)
    )
    change.note = "改写"
    with pytest.raises(ValueError, match="written once"):
        change.save()
    with pytest.raises(ValueError, match="never deleted"):
        change.delete()


@pytest.mark.parametrize(
    ("status", "on", "migrant", "message"),
    [
        ("normal", date(2026, 3, 1), None, "状态没有变化"),
        ("nonsense", date(2026, 3, 1), None, "请选择状态"),
        ("lost", date(2000, 1, 1), None, "不能早于入党日期"),
        ("migrant", date(2026, 3, 1), MigrantDetails(since=date(2026, 3, 1)), "流入地"),
        ("migrant", date(2026, 3, 1), MigrantDetails(where="深圳"), "外出日期"),
    ],
)
def test_bad_status_changes_are_refused(
    roll: SimpleNamespace, people: SimpleNamespace, status: str, on: date, migrant: Any, message: str
) -> None:
    with pytest.raises(DomainError, match=message):
        services.member_status_change(
            member=roll.full, by=people.branch_secretary, status=status, on=on, migrant=migrant
        )
    assert not MemberStatusChange.objects.exists()


def test_a_transfer_inside_the_product_moves_the_member_with_their_history(
    roll: SimpleNamespace, tree: Any, people: SimpleNamespace
) -> None:
    services.member_status_change(member=roll.full, by=people.branch_secretary, status="abroad", on=date(2026, 1, 5))
    roll.group.leader = roll.full
    roll.group.save()
    today = timezone.localdate()
    transfer = services.member_transfer_out(
        member=roll.full, by=people.branch_secretary, on=today, to_code=tree.direct_branch.code
    )
    member = Member.objects.get(pk=roll.full.pk)
    assert member.organization == tree.direct_branch
    assert (member.arrived_on, member.is_current, member.party_group) == (today, True, None)
    assert member.status_changes.count() == 1
    assert (transfer.from_organization, transfer.to_organization) == (tree.branch, tree.direct_branch)
    assert PartyGroup.objects.get(pk=roll.group.pk).leader is None


def test_the_receiving_branchs_secretary_is_told_of_a_member_transferred_in(
    roll: SimpleNamespace, tree: Any, people: SimpleNamespace
) -> None:
    receiving = UserFactory(username="receiving_secretary")
    position_assign(person=receiving, organization=tree.direct_branch, role=Position.Role.SECRETARY)
    services.member_transfer_out(
        member=roll.full, by=people.branch_secretary, on=timezone.localdate(), to_code=tree.direct_branch.code
    )
    [told] = Notification.objects.filter(kind="member_transferred_in")
    assert told.recipient == receiving
    assert roll.full.name in told.title
    assert tree.branch.name in told.title
    assert told.url == reverse("member_detail", args=[roll.full.pk])


def test_a_transfer_outside_or_to_a_branch_without_a_secretary_tells_nobody(
    roll: SimpleNamespace, tree: Any, people: SimpleNamespace
) -> None:
    today = timezone.localdate()
    services.member_transfer_out(
        member=roll.full, by=people.branch_secretary, on=today, to_code=tree.direct_branch.code
    )
    services.member_transfer_out(
        member=roll.probationary, by=people.branch_secretary, on=today, to_text="外省某村党支部"
    )
    assert not Notification.objects.filter(kind="member_transferred_in").exists()


def test_a_transfer_outside_closes_the_entry(roll: SimpleNamespace, people: SimpleNamespace) -> None:
    today = timezone.localdate()
    services.member_transfer_out(member=roll.full, by=people.branch_secretary, on=today, to_text="外省某村党支部")
    member = Member.objects.get(pk=roll.full.pk)
    assert (member.left_on, member.left_to, member.is_current) == (today, "外省某村党支部", False)
    with pytest.raises(DomainError, match="已转出"):
        services.member_transfer_out(member=member, by=people.branch_secretary, on=today, to_text="别处")


@pytest.mark.parametrize(
    ("to_code", "to_text", "message"),
    [
        ("NO-SUCH-ORG", "", "没有组织代码为"),
        ("", "", "二选一"),
        ("C-T1-B3", "外省", "二选一"),
        ("C-T1-G-B1", "", "不能转入本组织"),
    ],
)
def test_bad_transfers_are_refused_and_nothing_moves(
    roll: SimpleNamespace, people: SimpleNamespace, tree: Any, to_code: str, to_text: str, message: str
) -> None:
    with pytest.raises(DomainError, match=message):
        services.member_transfer_out(
            member=roll.full, by=people.branch_secretary, on=timezone.localdate(), to_code=to_code, to_text=to_text
        )
    assert Member.objects.get(pk=roll.full.pk).organization == tree.branch
    assert not Transfer.objects.exists()


def test_a_transfer_date_before_joining_or_in_the_future_is_refused(roll: SimpleNamespace, people: Any) -> None:
    for on in (date(2000, 1, 1), timezone.localdate() + timedelta(days=1)):
        with pytest.raises(DomainError, match="转接日期"):
            services.member_transfer_out(member=roll.full, by=people.branch_secretary, on=on, to_text="外省")


def test_a_sibling_branch_cannot_transfer_anothers_member(roll: SimpleNamespace, tree: Any, people: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.member_transfer_out(member=roll.sibling, by=people.branch_secretary, on=date(2026, 1, 1), to_text="x")


def test_transfer_in_from_outside_adds_a_member_with_the_transfer(tree: Any, people: SimpleNamespace) -> None:
    member = services.member_transfer_in(
        organization=tree.branch,
        by=people.branch_secretary,
        on=date(2026, 2, 1),
        from_text="外县某支部",
        fields=fields(),
    )
    transfer = member.transfers.get()
    assert (transfer.kind, transfer.from_text, transfer.to_organization) == (
        Transfer.Kind.IN,
        "外县某支部",
        tree.branch,
    )
    assert member.arrived_on == date(2026, 2, 1)
    with pytest.raises(DomainError, match="转出组织"):
        services.member_transfer_in(
            organization=tree.branch, by=people.branch_secretary, on=date(2026, 2, 1), from_text=" ", fields=fields()
        )
    assert Member.objects.count() == 1


def test_party_groups_have_unique_names_and_a_leader_of_their_own_roll(
    roll: SimpleNamespace, tree: Any, people: SimpleNamespace
) -> None:
    with pytest.raises(DomainError, match="同名"):
        services.group_add(organization=tree.branch, by=people.branch_secretary, name="第一党小组")
    with pytest.raises(DomainError, match="组长须是本组织在册党员"):
        services.group_add(organization=tree.branch, by=people.branch_secretary, name="第二", leader=roll.sibling)
    group = services.group_update(group=roll.group, by=people.branch_secretary, name="一组", leader=roll.full, order=2)
    assert (group.name, group.leader, group.order) == ("一组", roll.full, 2)
    with pytest.raises(PermissionDenied):
        services.group_update(group=roll.group, by=people.committee_secretary, name="x", leader=None)


def test_a_login_is_created_only_when_needed_and_only_once(roll: SimpleNamespace, people: SimpleNamespace) -> None:
    person = services.member_login_create(member=roll.probationary, by=people.branch_secretary, username="li-er")
    assert (person.full_name, person.must_change_password, person.has_usable_password()) == ("李二", True, False)
    assert Member.objects.get(pk=roll.probationary.pk).person == person
    with pytest.raises(DomainError, match="已有登录账号"):
        services.member_login_create(member=roll.full, by=people.branch_secretary, username="wang-yi")
    sibling = services.member_add(
        organization=roll.full.organization, by=people.branch_secretary, fields=fields(name="钱六")
    )
    with pytest.raises(DomainError, match="已被使用"):
        services.member_login_create(member=sibling, by=people.branch_secretary, username="LI-ER")
    with pytest.raises(DomainError):
        services.member_login_create(member=sibling, by=people.branch_secretary, username="有 空格!")
    with pytest.raises(PermissionDenied):
        services.member_login_create(member=sibling, by=people.committee_secretary, username="qian")
    assert Member.objects.get(pk=sibling.pk).person is None
