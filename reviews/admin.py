from typing import Any

from django.contrib import admin

from reviews.models import (
    BallotBatch,
    BallotCode,
    ClosingNote,
    Cycle,
    DutyReport,
    Indicator,
    Result,
    RubricTemplate,
    TemplateIndicator,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never edited here: the service that writes these keeps their rules and their audit trail."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


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
class ResultAdmin(ReadOnlyAdmin):
    """A closed cycle's results are immutable."""

    list_display = ["report", "composite", "grade", "grade_reason", "rank", "classification"]
    list_filter = ["grade", "classification"]


@admin.register(ClosingNote)
class ClosingNoteAdmin(ReadOnlyAdmin):
    list_display = ["cycle", "organization", "gap", "recorded_by", "recorded_at"]


@admin.register(BallotBatch)
class BallotBatchAdmin(ReadOnlyAdmin):
    list_display = ["cycle", "organization", "number", "count", "reason", "printed_count"]


# Codes are made, voided and printed on the committee's pages. Whether a code was spent is not on this
# model at all (reviews.ballot_box), and the spent digests, the sealed votes and the tallies have no admin
# page: nobody, the administrator included, can reset a used code or read or change a vote here.
@admin.register(BallotCode)
class BallotCodeAdmin(ReadOnlyAdmin):
    list_display = ["organization", "cycle", "batch", "voided_at"]
    list_filter = ["cycle__year"]
    exclude = ["code"]
