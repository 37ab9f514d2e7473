"""Sign-in, the organization tree and the import page."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.paginator import Paginator
from django.db import connection
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts import access, security, selectors, services
from accounts.first_sign_in import may_issue_in
from accounts.first_sign_in_views import IMPORTED_PEOPLE
from accounts.forms import ImportForm, SignInForm
from accounts.import_template import import_template
from accounts.importing import ImportRejected, organizations_import
from accounts.permissions import Action

CHILDREN_PER_PAGE = 50


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), **security.sign_in_page_context()}


class PasswordChangeView(auth_views.PasswordChangeView):
    """修改密码: the one page where people set their own password (the admin's own page leads here)."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        services.password_change(person=form.user, password=form.cleaned_data["new_password1"])
        # The person's other sessions end; this one goes on.
        update_session_auth_hash(self.request, form.user)
        messages.success(self.request, _("密码已修改。"))
        return HttpResponseRedirect(self.get_success_url())


@login_required
def organization_tree(request: HttpRequest) -> HttpResponse:
    """The top of the user's subtree, or search results within it."""
    query = request.GET.get("q", "").strip()
    organizations = access.tree_organizations(request.user, query)
    return render(
        request,
        "accounts/organization_tree.html",
        {"organizations": organizations, "query": query, "search_limit": selectors.SEARCH_LIMIT},
    )


@login_required
def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An organization: where it sits, its people, its children with counts per kind."""
    organization = access.organization_for(request.user, pk, Action.VIEW)
    page = Paginator(selectors.children_of(organization), CHILDREN_PER_PAGE).get_page(request.GET.get("page"))
    counts_by_child = selectors.subtree_counts_by_child(organization) if page.object_list else {}
    kinds = [value for value, _label in organization.Kind.choices]
    children = [
        {
            "organization": child,
            "counts": [counts_by_child.get(child.path, {}).get(kind, 0) for kind in kinds],
        }
        for child in page.object_list
    ]
    return render(
        request,
        "accounts/organization_detail.html",
        {
            "organization": organization,
            "ancestors": selectors.ancestors_of(organization),
            "positions": selectors.positions_of(organization),
            "kind_counts": selectors.subtree_kind_counts(organization),
            "kind_labels": [label for _value, label in organization.Kind.choices],
            "children": children,
            "page": page,
            "may_supervise": Action.SUPERVISE in access.actions_on(request.user, organization),
            "may_manage": Action.MANAGE in access.actions_on(request.user, organization),
            "may_print_slips": may_issue_in(request.user, organization),
        },
    )


@login_required
def organization_import(request: HttpRequest) -> HttpResponse:
    """Administrators upload the tree and people from .xlsx or .csv; all or nothing."""
    access.administrator_only(request.user)
    errors = []
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = organizations_import(
                    files=[(upload.name, upload.read()) for upload in form.cleaned_data["upload"]],
                    by=request.user,
                )
            except ImportRejected as rejected:
                errors = rejected.errors
                messages.error(request, str(rejected))
            else:
                messages.success(request, result.summary())
                # The page then offers the slips of exactly these people, until the next import.
                request.session[IMPORTED_PEOPLE] = result.created_people
                return redirect("organization_import")
    else:
        form = ImportForm()
    return render(
        request,
        "accounts/organization_import.html",
        {
            "form": form,
            "errors": errors,
            "max_mb": settings.IMPORT_MAX_BYTES // (1024 * 1024),
            "max_rows": settings.IMPORT_MAX_ROWS,
            "imported_count": len(request.session.get(IMPORTED_PEOPLE, [])),
        },
    )


@login_required
@require_GET
def import_template_download(request: HttpRequest) -> FileResponse:
    """The .xlsx to fill in for the import: the importer's own columns, an example row each, the rules."""
    access.administrator_only(request.user)
    # A file, streamed as every download of the site is.
    return FileResponse(io.BytesIO(import_template()), as_attachment=True, filename=_("导入模板") + ".xlsx")


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and compose: answers 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
