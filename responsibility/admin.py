from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from responsibility.models import (
    Category,
    ContactPoint,
    DutyRecord,
    LateMark,
    ListItem,
    ListTemplate,
    PublicCommitment,
    ResponsibilityList,
    TemplateItem,
    WorkPlan,
    WorkPoint,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "order", "is_active"]
    list_editable = ["order", "is_active"]


class WorkPointInline(admin.TabularInline):
    model = WorkPoint
    extra = 0


@admin.register(WorkPlan)
class WorkPlanAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "year", "published_at"]
    list_filter = ["year"]
    search_fields = ["title", "organization__name", "organization__code"]
    raw_id_fields = ["organization"]
    inlines = [WorkPointInline]


class TemplateItemInline(admin.TabularInline):
    model = TemplateItem
    extra = 0


@admin.register(ListTemplate)
class ListTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "sector", "is_published"]
    list_filter = ["sector", "is_published"]
    search_fields = ["name", "organization__name"]
    raw_id_fields = ["organization"]
    inlines = [TemplateItemInline]


class ListItemInline(admin.TabularInline):
    model = ListItem
    extra = 0
    raw_id_fields = ["responsible", "work_point"]
    readonly_fields = ["warning", "done_total", "required_total", "late_periods", "missed_periods"]


@admin.register(ResponsibilityList)
class ResponsibilityListAdmin(admin.ModelAdmin):
    list_display = ["organization", "year", "status", "version", "warning", "red_items", "yellow_items"]
    list_filter = ["year", "status", "warning"]
    search_fields = ["organization__name", "organization__code"]
    raw_id_fields = ["organization", "reviewed_by", "template"]
    readonly_fields = ["warning", "red_items", "yellow_items", "green_items", "late_items"]
    inlines = [ListItemInline]


@admin.register(LateMark)
class LateMarkAdmin(admin.ModelAdmin):
    """逾期记录 are read here, never written: a mark is a fact of the year's record."""

    list_display = ["content", "list", "period_start", "period_end", "outcome", "recorded_at"]
    list_filter = ["outcome", "list__year"]
    search_fields = ["content", "list__organization__name", "list__organization__code"]
    list_select_related = ["list__organization"]
    date_hierarchy = "recorded_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DutyRecord)
class DutyRecordAdmin(admin.ModelAdmin):
    list_display = ["occurred_on", "organization", "done_by", "status"]
    list_filter = ["status", "personal_action"]
    search_fields = ["content", "organization__name"]
    raw_id_fields = ["item", "organization", "done_by", "created_by", "reviewed_by"]
    date_hierarchy = "occurred_on"


@admin.register(PublicCommitment)
class PublicCommitmentAdmin(admin.ModelAdmin):
    list_display = ["organization", "year", "secretary", "published_at"]
    list_filter = ["year"]
    search_fields = ["organization__name"]
    raw_id_fields = ["organization", "secretary"]


@admin.register(ContactPoint)
class ContactPointAdmin(admin.ModelAdmin):
    list_display = ["member", "organization", "year"]
    list_filter = ["year"]
    raw_id_fields = ["member", "organization"]
