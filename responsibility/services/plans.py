"""年度工作要点 and 清单模板: what a committee issues for the organizations below it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from foundation.errors import DomainError, clean_text
from responsibility.models import Category, DutyType, ListTemplate, Period, TemplateItem, WorkPlan, WorkPoint
from responsibility.services.rules import KEEPS, check_actor, check_target, check_year

# 年度工作要点 ---------------------------------------------------------------


@transaction.atomic
def work_plan_create(*, organization: Organization, year: int, title: str, by: User) -> WorkPlan:
    """Starts a committee's work points for a year."""
    check_actor(by, organization, KEEPS)
    check_year(year)
    if not organization.is_committee:
        raise DomainError(_("只有党委、党工委、党总支可以制定年度工作要点。"))
    if WorkPlan.objects.filter(organization=organization, year=year).exists():
        raise DomainError(_("%(year)s 年度工作要点已存在。") % {"year": year})
    return WorkPlan.objects.create(
        organization=organization, year=year, title=clean_text(title, field=_("标题"), max_length=128)
    )


@transaction.atomic
def work_point_add(*, plan: WorkPlan, category: Category, text: str, by: User) -> WorkPoint:
    """Adds a point; points may still be added after publication."""
    check_actor(by, plan.organization, KEEPS)
    order = (plan.points.aggregate(last=Max("order"))["last"] or 0) + 1
    return WorkPoint.objects.create(
        plan=plan, category=category, text=clean_text(text, field=_("内容"), max_length=500), order=order
    )


@transaction.atomic
def work_point_remove(*, point: WorkPoint, by: User) -> None:
    """Removes a point no list has broken down yet."""
    check_actor(by, point.plan.organization, KEEPS)
    if point.list_items.exists():
        raise DomainError(_("已有下级清单落实该要点，不能删除。"))
    point.delete()


@transaction.atomic
def work_plan_publish(*, plan: WorkPlan, by: User) -> WorkPlan:
    """Publishes the points to the whole subtree."""
    check_actor(by, plan.organization, KEEPS)
    if plan.is_published:
        raise DomainError(_("该工作要点已发布。"))
    if not plan.points.exists():
        raise DomainError(_("请先添加至少一条工作要点。"))
    plan.published_at = timezone.now()
    plan.save(update_fields=["published_at"])
    return plan


# 清单模板 --------------------------------------------------------------------


@transaction.atomic
def template_create(*, organization: Organization, name: str, sector: str, by: User) -> ListTemplate:
    """Starts a committee's list template for its subtree (or one sector of it)."""
    check_actor(by, organization, KEEPS)
    if not organization.is_committee:
        raise DomainError(_("只有党委、党工委、党总支可以发布清单模板。"))
    if sector and sector not in Organization.Sector.values:
        raise DomainError(_("请选择有效的领域。"))
    return ListTemplate.objects.create(
        organization=organization, name=clean_text(name, field=_("名称"), max_length=128), sector=sector
    )


@transaction.atomic
def template_item_add(
    *,
    template: ListTemplate,
    category: Category,
    duty_type: str,
    content: str,
    target_period: str,
    target_count: Any,
    by: User,
) -> TemplateItem:
    """Adds an item to a template; a template's items are periodic, never a due date."""
    check_actor(by, template.organization, KEEPS)
    if duty_type not in DutyType.values:
        raise DomainError(_("请选择有效的责任类型。"))
    if target_period == Period.ONCE:
        raise DomainError(_("模板条目请用周期性目标；限期事项在各自清单中设定期限。"))
    count = check_target(year=timezone.localdate().year, period=target_period, count=target_count, due_date=None)
    order = (template.items.aggregate(last=Max("order"))["last"] or 0) + 1
    return TemplateItem.objects.create(
        template=template,
        category=category,
        duty_type=duty_type,
        content=clean_text(content, field=_("内容"), max_length=500),
        target_period=target_period,
        target_count=count,
        order=order,
    )


@transaction.atomic
def template_publish(*, template: ListTemplate, by: User) -> ListTemplate:
    """Offers the template to the organizations below when they start their lists."""
    check_actor(by, template.organization, KEEPS)
    if not template.items.exists():
        raise DomainError(_("请先添加至少一个模板条目。"))
    template.is_published = True
    template.save(update_fields=["is_published"])
    return template
