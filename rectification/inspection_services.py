"""Every write of 督查: planning an inspection (chosen organizations or a recorded random draw), recording what it
found at each organization, completing it. rectification.services re-exports these, so `services.x(...)` reads the
same for every write of the app; findings raised in an inspection are services.finding_raise's.

Each checks its actor through accounts.permissions (PermissionDenied), as rectification.access does for the pages.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import Organization, User
from foundation.errors import DomainError, clean_text
from rectification import rules
from rectification.models import ChecklistItem, Inspection, InspectionTarget


def follows_inspection(user: Any, inspection: Inspection) -> bool:
    """MANAGE or SUPERVISE on the inspection's committee: reads the whole record, records results, completes it."""
    organization = inspection.organization
    return permissions.can(user, permissions.Action.MANAGE, organization) or permissions.can(
        user, permissions.Action.SUPERVISE, organization
    )


def _check_supervises(by: User, organization: Organization) -> None:
    if not permissions.can(by, permissions.Action.SUPERVISE, organization):
        raise PermissionDenied


def _check_follows(by: User, inspection: Inspection) -> None:
    """An inspection is worked on by its committee and those who supervise it."""
    if not follows_inspection(by, inspection):
        raise PermissionDenied


def _subtree(organization: Organization) -> Any:
    return Organization.objects.filter(path__startswith=organization.path, is_active=True).exclude(pk=organization.pk)


@transaction.atomic
def inspection_plan(
    *,
    organization: Organization,
    kind: str,
    title: str,
    planned_on: date,
    by: User,
    targets: Sequence[Organization] = (),
    draw_size: int | None = None,
    draw_per_sector: bool = False,
    draw_kind: str = "",
    seed: str = "",
    checklist: Sequence[str] = (),
) -> Inspection:
    """Plans an inspection of chosen organizations, or of a random draw from the subtree recorded with its seed."""
    if not permissions.can(by, permissions.Action.MANAGE, organization):
        raise PermissionDenied
    if not organization.is_committee:
        raise DomainError(_("只有党委、党工委、党总支可以组织督查。"))
    if kind not in Inspection.Kind.values:
        raise DomainError(_("请选择有效的督查方式。"))
    inspection = Inspection(
        organization=organization,
        kind=kind,
        title=clean_text(title, field=_("名称"), max_length=200),
        year=planned_on.year,
        planned_on=planned_on,
        created_by=by,
    )
    if kind == Inspection.Kind.RANDOM:
        if not draw_size or draw_size < 1:
            raise DomainError(_("随机抽查须填写抽取数量（正整数）。"))
        if draw_kind and draw_kind not in Organization.Kind.values:
            raise DomainError(_("请选择有效的组织类别。"))
        pool = _subtree(organization)
        if draw_kind:
            pool = pool.filter(kind=draw_kind)
        candidates = [rules.Candidate(*row) for row in pool.values_list("id", "path", "sector")]
        if not candidates:
            raise DomainError(_("下级没有可抽取的组织。"))
        inspection.draw_seed = (seed or "").strip()[:64] or secrets.token_hex(8)
        inspection.draw_size = draw_size
        inspection.draw_per_sector = draw_per_sector
        inspection.draw_kind = draw_kind
        inspection.draw_candidates = len(candidates)
        chosen_ids = rules.draw(candidates, size=draw_size, seed=inspection.draw_seed, per_sector=draw_per_sector)
        chosen = list(Organization.objects.filter(pk__in=chosen_ids).order_by("path"))
    else:
        chosen = list(targets)
        outside = [org for org in chosen if not org.path.startswith(organization.path) or org.pk == organization.pk]
        if outside:
            raise DomainError(_("“%(name)s”不是本组织的下级组织。") % {"name": outside[0].name})
        if not chosen:
            raise DomainError(_("请至少选择一个被检查组织。"))
    inspection.save()
    InspectionTarget.objects.bulk_create(InspectionTarget(inspection=inspection, organization=org) for org in chosen)
    ChecklistItem.objects.bulk_create(
        ChecklistItem(inspection=inspection, text=text.strip()[:300], order=order)
        for order, text in enumerate(checklist, start=1)
        if text.strip()
    )
    return inspection


def redraw(inspection: Inspection) -> list[int]:
    """Re-runs a recorded random draw over today's subtree: anyone can check the organizations chosen."""
    pool = _subtree(inspection.organization)
    if inspection.draw_kind:
        pool = pool.filter(kind=inspection.draw_kind)
    candidates = [rules.Candidate(*row) for row in pool.values_list("id", "path", "sector")]
    return rules.draw(
        candidates, size=inspection.draw_size or 0, seed=inspection.draw_seed, per_sector=inspection.draw_per_sector
    )


@transaction.atomic
def inspection_record(
    *, target: InspectionTarget, outcome: str, notes: str, checked_on: date, by: User
) -> InspectionTarget:
    """Records what the inspection found at one organization."""
    _check_supervises(by, target.organization)
    _check_follows(by, target.inspection)
    if target.inspection.status == Inspection.Status.DONE:
        raise DomainError(_("督查已完成，不能再修改。"))
    if outcome not in InspectionTarget.Outcome.values or outcome == InspectionTarget.Outcome.PENDING:
        raise DomainError(_("请选择检查结果。"))
    if checked_on > timezone.localdate():
        raise DomainError(_("检查日期不能晚于今天。"))
    target.outcome = outcome
    target.notes = (notes or "").strip()[:5000]
    target.checked_on = checked_on
    target.save(update_fields=["outcome", "notes", "checked_on"])
    if target.inspection.status == Inspection.Status.PLANNED:
        Inspection.objects.filter(pk=target.inspection_id).update(status=Inspection.Status.IN_PROGRESS)
    return target


@transaction.atomic
def inspection_complete(*, inspection: Inspection, by: User) -> Inspection:
    """完成督查: refused while any organization has no result."""
    _check_follows(by, inspection)
    locked = Inspection.objects.select_for_update().get(pk=inspection.pk)
    if locked.status == Inspection.Status.DONE:
        raise DomainError(_("督查已完成。"))
    pending = locked.targets.filter(outcome=InspectionTarget.Outcome.PENDING).count()
    if pending:
        raise DomainError(_("还有 %(count)s 个组织未记录检查结果。") % {"count": pending})
    locked.status = Inspection.Status.DONE
    locked.save(update_fields=["status"])
    return locked
