from django.contrib import admin

from rectification.models import Finding, Inspection, RectificationTask, TaskEvent


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "kind", "planned_on", "status"]
    list_filter = ["kind", "status", "year"]
    search_fields = ["title", "organization__name"]
    raw_id_fields = ["organization", "created_by"]


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ["description", "organization", "year", "source", "category", "severity"]
    list_filter = ["year", "source", "severity", "category"]
    search_fields = ["description", "organization__name"]
    raw_id_fields = ["organization", "inspection", "problem", "recurring_of", "task", "created_by"]


class TaskEventInline(admin.TabularInline):
    model = TaskEvent
    extra = 0
    readonly_fields = ["kind", "text", "by", "at"]
    can_delete = False


@admin.register(RectificationTask)
class RectificationTaskAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "responsible", "deadline", "status", "returned_count"]
    list_filter = ["status", "year", "supervised"]
    search_fields = ["title", "organization__name"]
    raw_id_fields = ["organization", "responsible", "leader", "accepted_by", "created_by"]
    inlines = [TaskEventInline]
