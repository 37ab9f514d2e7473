"""我的工作: each person's home, what waits for them in every domain."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts import selectors
from accounts.models import Position
from foundation.years import chosen_year
from meetings import selectors as meeting_selectors
from rectification import selectors as rectification_selectors
from responsibility import selectors as responsibility_selectors
from responsibility.models import ResponsibilityList
from reviews import selectors as review_selectors
from reviews.models import DutyReport
from workbench import access
from workbench.queue import home_queue

UNAPPROVED_LISTS = (ResponsibilityList.Status.DRAFT, ResponsibilityList.Status.RETURNED)
"""A list in these states is still being written: its card asks to finish it and submit it for approval."""


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """我的工作: the person's positions and what waits for them: lists, returned records, reviews, rectification."""
    positions = list(selectors.positions_for_person(request.user))
    today = timezone.localdate()
    year = chosen_year()
    scope, led = access.home_scope(request.user, positions)
    waiting = responsibility_selectors.home_waiting(request.user, led, year)
    cards = [(position, waiting.lists.get(position.organization_id)) for position in positions]
    reviews = review_selectors.home_reviews(request.user, led)
    returned_reports = {report.pk for report in reviews.reports if report.status == DutyReport.Status.RETURNED}
    rectification = rectification_selectors.home_tasks(request.user, today)
    life = meeting_selectors.home_life(request.user, led)
    return render(
        request,
        "workbench/home.html",
        {
            "positions": positions,
            # A plain member's position: nothing of the organization's work waits on it.
            "member_positions": {position.pk for position in positions if position.role == Position.Role.MEMBER},
            "cards": cards,
            "leads_any": bool(led),
            "waiting": waiting,
            "reviews": reviews,
            # The states the cards speak of, named here from the models' choices so the template names none.
            "unapproved_lists": {item.pk for item in waiting.lists.values() if item.status in UNAPPROVED_LISTS},
            "returned_reports": returned_reports,
            "submitted_reports": {
                report.pk for report in reviews.reports if report.status == DutyReport.Status.SUBMITTED
            },
            "rectification": rectification,
            "life": life,
            "queue": home_queue(
                waiting=waiting,
                reviews=reviews,
                rectification=rectification,
                life=life,
                returned_reports=returned_reports,
            ),
            "year": year,
            "scope": scope,
        },
    )
