"""Django admin for organizations, people and positions, with search and filters.

The tree admin of treebeard renders every node and offers every node in a
drop-down: unusable at province scale. Here a new organization names its parent
by code and is created through the service; moving is done by import.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import Organization, Position, User


class AdministratorPasswordForm(AdminPasswordChangeForm):
    """The user admin's password page: an administrator sets someone's password through the service,
    so the person must change it at their next sign-in."""

    def save(self, commit: bool = True) -> Any:
        usable = self.cleaned_data["set_usable_password"]
        services.password_reset(person=self.user, password=self.cleaned_data["password1"] if usable else None)
        return self.user


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "phone", "email", "is_active", "is_superuser", "last_login")
    list_filter = ("is_active", "must_change_password", "is_staff", "is_superuser")
    search_fields = ("username", "full_name", "phone", "email")
    ordering = ("username",)
    change_password_form = AdministratorPasswordForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("full_name", "phone", "email")}),
        (_("权限"), {"fields": ("is_active", "must_change_password", "is_staff", "is_superuser", "groups")}),
        (_("重要日期"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "full_name", "phone", "usable_password", "password1", "password2"),
            },
        ),
    )

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if not change:
            # The administrator chose the new person's password: the person replaces it at the first sign-in.
            obj.must_change_password = True
        super().save_model(request, obj, form, change)


class OrganizationAdminForm(forms.ModelForm):
    parent_code = forms.CharField(
        label=_("上级组织代码"), required=False, help_text=_("留空表示顶层组织。已建组织的上级请通过导入调整。")
    )

    class Meta:
        model = Organization
        fields = ("name", "code", "kind", "sector", "established_on", "is_active")

    def clean_parent_code(self) -> Organization | None:
        code = self.cleaned_data["parent_code"].strip()
        if not code:
            return None
        parent = Organization.objects.filter(code=code).first()
        if parent is None:
            raise forms.ValidationError(gettext("没有组织代码为 %(code)s 的组织。") % {"code": code})
        if parent.kind == Organization.Kind.BRANCH:
            raise forms.ValidationError(gettext("党支部下不能再设下级组织。"))
        return parent


class PositionInline(admin.TabularInline):
    model = Position
    extra = 0
    autocomplete_fields = ("person",)
    fields = ("person", "role", "portfolio", "term_start", "term_end", "is_current")


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    form = OrganizationAdminForm
    list_display = ("name", "code", "kind", "sector", "depth", "is_active")
    list_filter = ("kind", "sector", "is_active", "depth")
    search_fields = ("name", "code")
    ordering = ("path",)
    readonly_fields = ("path", "depth", "numchild")
    inlines = (PositionInline,)
    list_per_page = 50
    show_full_result_count = False  # counting 10^5 rows on every page is wasted work

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        editable = ["name", "code", "kind", "sector", "established_on", "is_active"]
        if obj is None:
            return ["parent_code", *editable]
        return [*editable, "path", "depth", "numchild"]

    def save_model(self, request: HttpRequest, obj: Organization, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        created = services.organization_create(
            name=data["name"],
            code=data["code"],
            kind=data["kind"],
            sector=data["sector"],
            established_on=data["established_on"],
            parent=data["parent_code"],
        )
        # The admin goes on to save inlines against `obj`: make it the created row.
        obj.pk = created.pk
        obj.path, obj.depth, obj.numchild = created.path, created.depth, created.numchild


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    list_display = ("person", "organization", "role", "portfolio", "term_start", "term_end", "is_current")
    list_filter = ("role", "is_current", "organization__kind")
    search_fields = ("person__username", "person__full_name", "organization__name", "organization__code")
    autocomplete_fields = ("person", "organization")
    list_select_related = ("person", "organization")
    show_full_result_count = False
