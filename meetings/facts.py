"""The year's organizational life of one organization as the other pages show it (一次录入，多处使用): the duty
report and its PDF, the inspection of the organization, and the cycle's daily assessment read these facts
instead of asking the secretary to type them again.

Read from what meetings.progress stored (LifeYear, KindYear), so every page shows the same figures, in two
queries for any organization.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from meetings.models import KindYear, LifeYear, MeetingKind


@dataclass(frozen=True)
class LifeFacts:
    """An organization's year of meetings: each kind held against required, late and missed periods, 党课
    given by the secretary, attendance, members not seen all year and 流动党员 not reached."""

    organization_id: int
    year: int
    summary: LifeYear | None
    kinds: list[KindYear] = field(default_factory=list)

    @property
    def has_any(self) -> bool:
        return self.summary is not None or bool(self.kinds)

    @property
    def required_kinds(self) -> list[KindYear]:
        """The kinds with a requirement this year (a kind a committee switched off is left out)."""
        return [kind for kind in self.kinds if kind.required_total]

    @property
    def attendance_rate(self) -> int | None:
        """实到 over 应到 over the year's held meetings, in whole percent; None before anyone was expected."""
        if self.summary is None or not self.summary.expected_total:
            return None
        return round(100 * self.summary.present_total / self.summary.expected_total)

    @property
    def held_share(self) -> float | None:
        """The share of the year's required meetings held (capped at 1); None when nothing is required."""
        if self.summary is None or not self.summary.required_total:
            return None
        return min(1.0, self.summary.held_total / self.summary.required_total)

    @property
    def lecture_required(self) -> bool:
        """The secretary gives at least one 党课 a year wherever 党课 is required."""
        return any(kind.kind.code == MeetingKind.LECTURE for kind in self.required_kinds)


def life_facts(organization_id: int, year: int) -> LifeFacts:
    """The stored state of the organization's year of meetings (two queries)."""
    summary = LifeYear.objects.filter(organization_id=organization_id, year=year).first()
    kinds = list(
        KindYear.objects.filter(organization_id=organization_id, year=year)
        .select_related("kind")
        .order_by("kind__order", "kind_id")
    )
    return LifeFacts(organization_id=organization_id, year=year, summary=summary, kinds=kinds)
