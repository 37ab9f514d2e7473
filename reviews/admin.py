from typing import Any

from django.contrib import admin

from reviews.models import BallotCode, Cycle, DutyReport, Indicator, Result, RubricTemplate, TemplateIndicator


class TemplateIndicatorInline(admin.TabularInline):
    model = TemplateIndicator
    extra = 0


@admin.register(RubricTemplate)
class RubricTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "organization"]
    search_fields = ["name", "organization__name"]
    raw_id_fields = ["organization"]
    inlines = [TemplateIndicatorInline]


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "year", "status"]
    list_filter = ["year", "status"]
    search_fields = ["title", "organization__name"]
    raw_id_fields = ["organization"]
    inlines = [IndicatorInline]


@admin.register(DutyReport)
class DutyReportAdmin(admin.ModelAdmin):
    list_display = ["organization", "cycle", "status", "submitted_at"]
    list_filter = ["status", "cycle__year"]
    search_fields = ["organization__name", "organization__code"]
    raw_id_fields = ["cycle", "organization", "last_edited_by"]


@admin.register(Result)
class ResultAdmin(admin.ModelAdmin):
    list_display = ["report", "composite", "grade", "rank", "classification"]
    list_filter = ["grade", "classification"]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        # A closed cycle's results are immutable.
        return False


@admin.register(BallotCode)
class BallotCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "cycle", "organization", "is_used"]
    list_filter = ["is_used"]
    raw_id_fields = ["cycle", "organization"]
