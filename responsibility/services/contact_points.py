"""书记联系点: a committee member's contact points and their visits."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import Organization, User
from foundation.errors import DomainError, clean_text
from responsibility.models import ContactPoint, ContactVisit
from responsibility.services.rules import SUPERVISES, check_actor, check_year

# 书记联系点 ------------------------------------------------------------------


@transaction.atomic
def contact_point_designate(
    *, member: User, organization: Organization, year: int, reason: str, by: User
) -> ContactPoint:
    """A committee member takes a weak subordinate organization as a contact point: one they supervise."""
    check_year(year)
    reason = clean_text(reason, field=_("确定原因"), max_length=500)
    if not permissions.can(member, permissions.Action.SUPERVISE, organization):
        raise DomainError(_("只能选择您督导范围内的下级党组织作为联系点。"))
    # Whoever designates (the member, or someone acting for them) supervises the organization too.
    check_actor(by, organization, SUPERVISES)
    if ContactPoint.objects.filter(member=member, organization=organization, year=year).exists():
        raise DomainError(_("%(org)s 已是您 %(year)s 年的联系点。") % {"org": organization.name, "year": year})
    return ContactPoint.objects.create(member=member, organization=organization, year=year, reason=reason)


@transaction.atomic
def contact_visit_add(
    *, contact_point: ContactPoint, visited_on: date, summary: str, problems: str = "", by: User
) -> ContactVisit:
    """Records a visit to a contact point: by those who supervise its organization now.

    The designation does not outlive the member's position: once it has ended (or a grant was revoked)
    they record no more visits on it, as designating it again would be refused.
    """
    organization = contact_point.organization
    if not permissions.can(by, permissions.Action.SUPERVISE, organization):
        raise DomainError(
            _("您已不再督导%(org)s（任职已结束或督导授权已撤销），不能再记录走访。") % {"org": organization.name}
        )
    if visited_on > timezone.localdate():
        raise DomainError(_("走访日期不能晚于今天。"))
    if visited_on.year != contact_point.year:
        raise DomainError(_("走访日期须在 %(year)s 年内。") % {"year": contact_point.year})
    return ContactVisit.objects.create(
        contact_point=contact_point,
        visited_on=visited_on,
        summary=clean_text(summary, field=_("指导内容"), max_length=5000),
        problems=(problems or "").strip()[:5000],
        created_by=by,
    )
