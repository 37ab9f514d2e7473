"""Reads of 督查: the inspections a person follows, the subtree to choose from, targets, findings, the draw's check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import Organization
from accounts.permissions import scope_for, supervised_q
from meetings.facts import LifeFacts, life_facts
from rectification import services
from rectification.models import (
    Finding,
    Inspection,
    InspectionTarget,
)
from reviews.models import Cycle

# How many organizations of a subtree the new-inspection page lists at once; a search narrows it.
TARGET_CHOICES_SHOWN = 200


def inspections_q(user: Any) -> Q:
    """The inspections a user follows: those of committees they keep (MANAGE) or supervise (from above, or by grant)."""
    scope = scope_for(user)
    if scope.is_admin:
        return Q()
    return Q(organization__path__in=sorted(scope.manage_paths)) | supervised_q(user, "organization__")


def _counted(rows: QuerySet[Any], key: str) -> Coalesce:
    """A correlated COUNT subquery, so two relations are counted side by side without multiplying rows."""
    return Coalesce(Subquery(rows.order_by().values(key).annotate(total=Count("pk")).values("total")), 0)


def inspections_for(user: Any) -> QuerySet[Inspection]:
    """The inspections the user follows, newest first, with their organization and finding counts."""
    targets = InspectionTarget.objects.filter(inspection=OuterRef("pk"))
    findings = Finding.objects.filter(inspection=OuterRef("pk"))
    return (
        Inspection.objects.filter(inspections_q(user))
        .select_related("organization")
        .annotate(target_count=_counted(targets, "inspection"), finding_count=_counted(findings, "inspection"))
        .order_by("-planned_on", "-id")
    )


def subtree_below(committee: Organization, text: str = "") -> QuerySet[Organization]:
    """The active organizations below COMMITTEE, in tree order, optionally those whose name or code has TEXT."""
    rows = Organization.objects.filter(path__startswith=committee.path, is_active=True).exclude(pk=committee.pk)
    text = text.strip()
    if text:
        rows = rows.filter(Q(name__icontains=text) | Q(code__icontains=text))
    return rows.order_by("path")


def direct_children(committee: Organization) -> QuerySet[Organization]:
    """The active organizations directly below COMMITTEE (全部直属下级)."""
    return subtree_below(committee).filter(depth=committee.depth + 1)


def rubric_cycles(committee: Organization) -> QuerySet[Cycle]:
    """The committee's review cycles, whose indicators a checklist may copy."""
    return Cycle.objects.filter(organization=committee).order_by("-year", "-id")


def indicator_names(cycle: Cycle) -> list[str]:
    return list(cycle.indicators.order_by("order", "id").values_list("name", flat=True))


def inspection_targets(inspection: Inspection) -> QuerySet[InspectionTarget]:
    """The organizations inspected, in tree order, each with the number of findings this inspection raised there."""
    findings = Finding.objects.filter(inspection=OuterRef("inspection"), organization=OuterRef("organization"))
    return (
        inspection.targets.select_related("organization")
        .annotate(finding_count=_counted(findings, "organization"))
        .order_by("organization__path")
    )


def inspection_findings(inspection: Inspection, organization: Organization | None = None) -> QuerySet[Finding]:
    """Findings raised in the inspection (at one organization if given), with what the page shows of each."""
    findings = inspection.findings.select_related("organization", "category", "task")
    if organization is not None:
        findings = findings.filter(organization=organization)
    return findings.order_by("organization__path", "id")


@dataclass(frozen=True)
class DrawCheck:
    """复核抽取: today's re-run of a recorded random draw against the organizations it recorded."""

    matches: bool
    drawn: list[Organization]


def draw_check(inspection: Inspection) -> DrawCheck:
    """Re-runs the draw with its seed; it matches unless the subtree changed since."""
    drawn_ids = services.redraw(inspection)
    recorded = set(inspection.targets.values_list("organization_id", flat=True))
    matches = len(drawn_ids) == len(recorded) and set(drawn_ids) == recorded
    return DrawCheck(matches=matches, drawn=list(Organization.objects.filter(pk__in=drawn_ids).order_by("path")))


def target_life(target: InspectionTarget) -> LifeFacts:
    """The inspected organization's organizational life in the inspection's year, as its duty report shows it
    (the first thing an inspection checks: 三会一课, 主题党日, attendance)."""
    return life_facts(target.organization_id, target.inspection.year)
