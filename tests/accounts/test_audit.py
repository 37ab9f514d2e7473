"""The audit trail: who changed what, when and from where; read by administrators and committees."""

from __future__ import annotations

import inspect
import re
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import audit_views, history
from accounts.models import Organization, Position
from reviews.models import Cycle
from tests.conftest import Tree
from tests.reviews.test_cycle_views import create_data
from tests.test_settings import load_settings


def signed_in(user: object) -> Client:
    client = Client(REMOTE_ADDR="10.1.2.3")
    client.force_login(user)  # type: ignore[arg-type]
    return client


def shown_history_ids(response: object) -> set[int]:
    return {row.history_id for row in response.context["items"]}  # type: ignore[attr-defined]


def test_a_change_through_a_page_keeps_who_and_from_where(tree: Tree, people: SimpleNamespace) -> None:
    response = signed_in(people.committee_secretary).post(reverse("cycle_create"), create_data(tree.township))
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
