"""我的工作: each person's home, what waits for them in every domain."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts import selectors
from meetings import selectors as meeting_selectors
from rectification import selectors as rectification_selectors
from responsibility import selectors as responsibility_selectors
from responsibility.models import ResponsibilityList
from reviews import selectors as review_selectors
from reviews.models import DutyReport
from workbench import access

UNAPPROVED_LISTS = (ResponsibilityList.Status.DRAFT, ResponsibilityList.Status.RETURNED)
"""A list in these states is still being written: its card asks to finish it and submit it for approval."""


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """我的工作: the person's positions and what waits for them: lists, returned records, reviews, rectification."""
    positions = list(selectors.positions_for_person(request.user))
    today = timezone.localdate()
    year = today.year
    scope, led = access.home_scope(request.user, positions)
    waiting = responsibility_selectors.home_waiting(request.user, led, year)
    cards = [(position, waiting.lists.get(position.organization_id)) for position in positions]
    reviews = review_selectors.home_reviews(request.user, led)
    return render(
        request,
        "workbench/home.html",
        {
            "positions": positions,
            "cards": cards,
            "leads_any": bool(led),
            "waiting": waiting,
            "reviews": reviews,
            # The states the cards speak of, named here from the models' choices so the template names none.
            "unapproved_lists": {item.pk for item in waiting.lists.values() if item.status in UNAPPROVED_LISTS},
            "returned_reports": {
                report.pk for report in reviews.reports if report.status == DutyReport.Status.RETURNED
            },
            "submitted_reports": {
                report.pk for report in reviews.reports if report.status == DutyReport.Status.SUBMITTED
            },
            "rectification": rectification_selectors.home_tasks(request.user, today),
            "life": meeting_selectors.home_life(request.user, led),
            "year": year,
            "scope": scope,
        },
    )
