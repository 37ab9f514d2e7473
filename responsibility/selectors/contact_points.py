"""书记联系点: a member's contact points, those below a committee, and the organizations to choose from."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from accounts.models import Organization
from accounts.permissions import supervised_q, supervises_q
from responsibility.models import ContactPoint, ContactVisit, Light, ResponsibilityList


def contact_point_visits(point: ContactPoint) -> QuerySet[ContactVisit]:
    """The point's visits, newest first, with who recorded them."""
    return point.visits.select_related("created_by").order_by("-visited_on", "-id")


def _with_visit_figures(points: QuerySet[ContactPoint]) -> QuerySet[ContactPoint]:
    year_list = ResponsibilityList.objects.filter(organization=OuterRef("organization"), year=OuterRef("year"))
    return points.select_related("member", "organization").annotate(
        visit_count=Count("visits"),
        last_visit=Max("visits__visited_on"),
        list_warning=Subquery(year_list.values("warning")[:1]),
    )


def member_supervises() -> ExpressionWrapper:
    """An annotation of contact points: whether the member still supervises the point's organization, which
    designating it required. False marks one whose position has ended (已离任): the row stays, as history."""
    return ExpressionWrapper(supervises_q("member", "organization__path"), output_field=BooleanField())


def contact_points_of(member: Any, year: int) -> QuerySet[ContactPoint]:
    """The person's own contact points for the year that they still supervise, with visit counts and light."""
    points = ContactPoint.objects.filter(supervised_q(member, "organization__"), member=member, year=year)
    return _with_visit_figures(points).order_by("organization__path")


def contact_points_supervised(user: Any, year: int) -> QuerySet[ContactPoint]:
    """Every contact point of the year inside what the user supervises, each marked whether its member still may act."""
    points = ContactPoint.objects.filter(supervised_q(user, "organization__"), year=year)
    return (
        _with_visit_figures(points)
        .annotate(member_supervises=member_supervises())
        .order_by("organization__path", "member__full_name", "id")
    )


def contact_point_candidates(user: Any, year: int, limit: int = 100) -> list[Organization]:
    """Supervised organizations to choose a contact point from, the weakest (red, then yellow) first."""
    return list(
        Organization.objects.filter(supervised_q(user), is_active=True)
        .annotate(year_list=FilteredRelation("responsibility_lists", condition=Q(responsibility_lists__year=year)))
        .annotate(
            list_warning=F("year_list__warning"),
            weakness=Case(
                When(year_list__warning=Light.RED, then=Value(0)),
                When(year_list__warning=Light.YELLOW, then=Value(1)),
                default=Value(2),
            ),
        )
        .order_by("weakness", "path")[:limit]
    )


def supervised_organization(user: Any, *, pk: Any = None, code: str = "") -> Organization | None:
    """An active organization the user supervises, by id or code; None if it is not (or not theirs)."""
    organizations = Organization.objects.filter(supervised_q(user), is_active=True)
    try:
        if code:
            return organizations.get(code=code.strip())
        return organizations.get(pk=pk)
    except (Organization.DoesNotExist, ValueError, TypeError):
        return None
