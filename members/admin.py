from django.contrib import admin
from django.http import HttpRequest

from members.models import Member, MemberStatusChange, PartyGroup, RollExport, Transfer


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "category", "status", "left_on")
    list_filter = ("category", "status")
    search_fields = ("name", "organization__name")
    raw_id_fields = ("organization", "person", "party_group")


@admin.register(PartyGroup)
class PartyGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "leader")
    raw_id_fields = ("organization", "leader")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Histories and logs are written by the services only."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


admin.site.register(MemberStatusChange, ReadOnlyAdmin)
admin.site.register(Transfer, ReadOnlyAdmin)
admin.site.register(RollExport, ReadOnlyAdmin)
