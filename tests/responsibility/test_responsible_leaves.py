"""An item's responsible person records against it only while the position the item names is current.

The item keeps naming the position after it ends (history, marked 已离任); the right to record against
the item, and to correct one's records on it, ends with the position. Pages answer as for anyone else
who sees (403) or does not see (404) the organization, the services refuse and nothing is written.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Position, User
from accounts.permissions import Action, can
from accounts.services import position_assign, position_end
from foundation.errors import DomainError
from reminders import sweep as reminders
from responsibility import selectors, services
from responsibility.models import DutyRecord, DutyType, Evidence, ListItem, ResponsibilityList
from tests.clients import signed_in
from tests.conftest import Tree

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def fresh(user: User) -> User:
    """The person as the next request or task loads them: the scope is cached on a user object for one request."""
    return User.objects.get(pk=user.pk)


def dual_item(responsibility_list: ResponsibilityList) -> ListItem:
    """每年走访联系党员两次 (一岗双责): the branch's 委员 (branch_member_of_committee) answers for it."""
    return responsibility_list.items.select_related("list__organization", "responsible").get(duty_type=DutyType.DUAL)


def record(item: ListItem, by: User, content: str = "走访党员") -> DutyRecord:
    return services.record_add(item=item, occurred_on=timezone.localdate(), content=content, done_by=by, by=by)


def rows() -> list[Any]:
    return [list(DutyRecord.objects.order_by("pk").values()), list(Evidence.objects.order_by("pk").values())]


@pytest.fixture
def member_answers(branch_list: ResponsibilityList, people: SimpleNamespace) -> ListItem:
    """The item made the branch's plain member's (a 党员 keeps nothing but what they answer for)."""
    item = dual_item(branch_list)
    ListItem.objects.filter(pk=item.pk).update(
        responsible=Position.objects.get(person=people.branch_member, role=Position.Role.MEMBER)
    )
    return dual_item(branch_list)


@pytest.fixture
def former(branch_list: ResponsibilityList, people: SimpleNamespace, tree: Tree) -> SimpleNamespace:
    """The 委员 answering for the item recorded on it, stays a 党员 of the branch, and their 委员 term ends."""
    person = people.branch_member_of_committee
    item = dual_item(branch_list)
    own = record(item, person)
    position_assign(person=person, organization=tree.branch, role=Position.Role.MEMBER)
    position_end(position=Position.objects.get(person=person, role=Position.Role.COMMITTEE_MEMBER))
    return SimpleNamespace(person=fresh(person), item=dual_item(branch_list), record=own)


def test_a_responsible_member_records_and_corrects_while_in_office(
    client: Client, member_answers: ListItem, people: SimpleNamespace
) -> None:
    client = signed_in(people.branch_member, client)
    assert not can(people.branch_member, Action.MANAGE, member_answers.list.organization)
    assert client.get(reverse("record_add", args=[member_answers.pk])).status_code == 200
    today = timezone.localdate().isoformat()
    response = client.post(
        reverse("record_add", args=[member_answers.pk]),
        {"occurred_on": today, "content": "走访了三户党员", "done_by": people.branch_member.pk},
    )
    assert response.status_code == 302
    own = DutyRecord.objects.get()
    assert client.get(reverse("record_edit", args=[own.pk])).status_code == 200


def test_after_the_position_ends_the_pages_answer_as_for_a_stranger(
    client: Client, member_answers: ListItem, people: SimpleNamespace
) -> None:
    own = record(member_answers, people.branch_member)
    position_end(position=Position.objects.get(person=people.branch_member))
    before = rows()
    client = signed_in(people.branch_member, client)
    today = timezone.localdate().isoformat()
    assert client.get(reverse("item_detail", args=[member_answers.pk])).status_code == 404
    assert client.get(reverse("record_add", args=[member_answers.pk])).status_code == 404
    assert client.post(reverse("record_add", args=[member_answers.pk]), {"occurred_on": today}).status_code == 404
    assert client.get(reverse("record_edit", args=[own.pk])).status_code == 404
    assert rows() == before


def test_a_former_responsible_who_still_sees_the_branch_gets_403(client: Client, former: SimpleNamespace) -> None:
    evidence = Evidence.objects.create(
        record=former.record,
        file=SimpleUploadedFile("a.png", PNG),
        original_name="a.png",
        content_type="image/png",
        size=len(PNG),
        uploaded_by=former.person,
    )
    before = rows()
    client = signed_in(former.person, client)
    today = timezone.localdate().isoformat()
    item_page = client.get(reverse("item_detail", args=[former.item.pk]))
    assert item_page.status_code == 200
    assert item_page.context["may_record"] is False
    assert "已离任" in item_page.content.decode()
    assert client.get(reverse("record_add", args=[former.item.pk])).status_code == 403
    posted = {"occurred_on": today, "content": "离任后", "done_by": former.person.pk}
    assert client.post(reverse("record_add", args=[former.item.pk]), posted).status_code == 403
    assert client.get(reverse("record_edit", args=[former.record.pk])).status_code == 403
    assert client.post(reverse("record_edit", args=[former.record.pk]), posted).status_code == 403
    assert client.post(reverse("evidence_remove", args=[evidence.pk])).status_code == 403
    assert rows() == before


WRITES = {
    "record_add": lambda f: record(f.item, f.person, "离任后补记"),
    "record_update": lambda f: services.record_update(
        record=f.record, occurred_on=timezone.localdate(), content="离任后改", by=f.person
    ),
    "evidence_remove": lambda f: services.evidence_remove(
        evidence=Evidence.objects.create(
            record=f.record,
            file=SimpleUploadedFile("b.png", PNG),
            original_name="b.png",
            content_type="image/png",
            size=len(PNG),
            uploaded_by=f.person,
        ),
        by=f.person,
    ),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_the_services_refuse_a_former_responsible(former: SimpleNamespace, write: str) -> None:
    with pytest.raises(DomainError):
        WRITES[write](former)
    # Only the evidence the test itself made is left over; no record was added or changed.
    assert list(DutyRecord.objects.values_list("content", flat=True)) == ["走访党员"]


def test_the_secretary_still_corrects_the_former_responsibles_record(
    former: SimpleNamespace, people: SimpleNamespace
) -> None:
    services.record_update(
        record=former.record, occurred_on=timezone.localdate(), content="书记补充", by=people.branch_secretary
    )
    assert DutyRecord.objects.get().content == "书记补充"


def test_home_no_longer_asks_a_former_responsible_to_correct_a_returned_record(
    former: SimpleNamespace, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    services.record_return(record=former.record, by=people.committee_secretary, reason="请补充")
    assert selectors.home_waiting(former.person, [], branch_list.year).returned_count == 0
    assert selectors.home_waiting(people.branch_secretary, [branch_list.organization], branch_list.year).lists


def test_reminders_go_to_the_secretary_once_the_responsible_position_has_ended(
    former: SimpleNamespace, people: SimpleNamespace
) -> None:
    key = f"item:{former.item.pk}:"
    assert not [d for d in reminders.deadlines_for(former.person) if d.key.startswith(key)]
    assert [d for d in reminders.deadlines_for(people.branch_secretary) if d.key.startswith(key)]


@pytest.mark.parametrize("ended", [False, True], ids=["in office", "ended"])
def test_recording_is_allowed_exactly_while_the_named_position_is_current(
    client: Client, member_answers: ListItem, people: SimpleNamespace, ended: bool
) -> None:
    """For the plain member answering for the item (nothing else lets them record): the page, the service and
    the item's mark agree with whether the position is among the current ones."""
    if ended:
        position_end(position=Position.objects.get(person=people.branch_member))
    person = fresh(people.branch_member)
    item = ListItem.objects.select_related("list__organization", "responsible").get(pk=member_answers.pk)
    current = Position.objects.current().filter(pk=item.responsible_id).exists()
    assert current is not ended
    assert can(person, Action.MANAGE, item.list.organization) is False
    assert services.may_record(person, item) is current
    assert services.answers_for(person, item) is current
    status = signed_in(person, client).get(reverse("record_add", args=[item.pk])).status_code
    assert (status == 200) is current
    try:
        record(item, person)
    except DomainError:
        assert not current
    else:
        assert current
