"""What 我的工作 promises to accept is what the board it opens shows: every year's tasks, not only the chosen one."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse

from rectification.models import RectificationTask
from tests.clients import signed_in

pytestmark = pytest.mark.django_db


def test_the_home_count_to_accept_opens_a_board_showing_those_tasks(
    client: Client, people: SimpleNamespace, task: RectificationTask
) -> None:
    RectificationTask.objects.filter(pk=task.pk).update(
        year=task.year - 1, status=RectificationTask.Status.AWAITING_ACCEPTANCE
    )
    client = signed_in(people.committee_secretary, client)
    home = client.get(reverse("home")).content.decode()
    link = f"{reverse('rectification_board')}?status=awaiting_acceptance&amp;all_years=on"
    assert f'href="{link}"' in home
    assert "1 项整改任务申请销号，待验收" in home

    board = client.get(link.replace("&amp;", "&")).content.decode()
    assert board.count(f'data-task="{task.pk}"') == 1
    assert "全部年度" in board
    # Without 全部年度 the board keeps to the chosen year, where last year's task is not.
    assert f'data-task="{task.pk}"' not in client.get(reverse("rectification_board")).content.decode()
