"""Background work for 述职评议考核: thin wrappers that call reviews.services."""

from __future__ import annotations

from celery import shared_task
from django.db.models import Exists, OuterRef
from django.utils import timezone

from reviews import services
from reviews.models import Cycle, PendingBallot


@shared_task(name="reviews.count_ballots", ignore_result=True)
def count_ballots() -> int:
    """Beat's nightly pass: adds the votes still waiting in closed ballot windows to their tallies."""
    waiting = PendingBallot.objects.filter(cycle=OuterRef("pk"))
    cycles = Cycle.objects.filter(Exists(waiting), ballot_closes__lt=timezone.localdate())
    return sum(services.ballots_count(cycle=cycle) for cycle in cycles)
