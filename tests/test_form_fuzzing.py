"""Fuzzing every form of the site: random Unicode (NUL included), over-long values, wrong types, missing,
extra and invalid fields, other organizations' and nonexistent ids, posted by a person who may use the form.

No answer is a server error, and a refused submission leaves the database as it was.

Every URL pattern is classified: FORMS (fuzzed) or NOT_FUZZED (why not). The fields of a form are read
from the page that shows it, so a field added to a form is fuzzed without touching this file; the few
POST-only endpoints whose form lives elsewhere name their fields here.

Why one long file: it is one table of every form of the site and the properties every form keeps;
split by app, a new form could slip between the files unnoticed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from django.apps import apps
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Model
from django.test import Client
from django.urls import NoReverseMatch, reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.forms import FirstSignInForm, SlipPeopleForm, TwoFactorCodeForm, TwoFactorDisableForm, TwoFactorEnrolForm
from accounts.models import Organization, User
from meetings.models import Attendance, Meeting
from members.models import Member, PartyGroup
from rectification.board_forms import RecurrenceForm
from rectification.models import ExtensionRequest, Finding, Inspection, InspectionTarget, RectificationTask
from rectification.task_forms import ExtensionDecisionForm
from rectification.views.tasks import STEPS
from responsibility.forms import ListActionForm
from responsibility.models import (
    ContactPoint,
    DutyRecord,
    Evidence,
    ListItem,
    ListTemplate,
    ResponsibilityList,
    WorkPlan,
)
from responsibility.record_forms import ReviewForm
from reviews.cycle_forms import CycleSettingsForm
from reviews.models import Cycle, DutyReport, Problem, ReviewerAssignment, RubricTemplate
from reviews.scoring_forms import ReturnForm
from tests.test_probe_permissions import DOMAIN_APPS, PROBES, Demo, demo, site_url_names
from workbench.models import RenderedReport

__all__ = ["demo"]  # the module-scoped demo tree, shared with the permission probe

EXAMPLES = 8
"""Submissions per form: with derandomize, the same ones on every run."""
MISSING = object()
NONEXISTENT_PK = 10**8


# The forms, read from their pages -----------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str
    """input type (text, number, date, file, checkbox, radio, hidden...), "select" or "textarea"."""
    value: str = ""
    options: list[str] = field(default_factory=list)
    multiple: bool = False


@dataclass
class Form:
    action: str
    method: str = "post"
    fields: dict[str, Field] = field(default_factory=dict)


class FormParser(HTMLParser):
    """The forms of a page, with each field's kind, current value and choices."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._form = Form(action=attributes.get("action", ""), method=attributes.get("method", "get").lower())
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = attributes.get("name")
        if tag in ("input", "textarea", "select", "button") and name:
            kind = attributes.get("type", "text").lower() if tag == "input" else tag
            if kind in ("submit", "button", "reset", "image") or tag == "button":
                return
            known = self._form.fields.get(name)
            if known is not None and kind in ("radio", "checkbox"):
                known.options.append(attributes.get("value", "on"))
                return
            current = Field(name, kind, attributes.get("value", ""), multiple="multiple" in attributes)
            if kind in ("radio", "checkbox"):
                current.options.append(attributes.get("value", "on"))
            self._form.fields[name] = current
            if tag == "select":
                self._select = current
        elif tag == "option" and self._select is not None:
            value = attributes.get("value", "")
            self._select.options.append(value)
            if "selected" in attributes:
                self._select.value = value

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def forms_on(client: Client, page: str, method: str = "post") -> list[Form]:
    """The page's forms of that method; none when the page is not shown in the demo's present state."""
    response = client.get(page)
    if response.status_code != 200 or response.streaming:
        return []
    parser = FormParser()
    parser.feed(response.content.decode())
    return [form for form in parser.forms if form.method == method]


# What is fuzzed, by whom, where ----------------------------------------------------------------------


Finder = Callable[[Demo], dict[str, Any] | list[dict[str, Any]]]


@dataclass(frozen=True)
class FormSpec:
    kwargs: Finder
    """The URL arguments of the object the form changes."""
    person: str = "demo-admin"
    """Someone the form is for: the administrator may use every form, others are named where it matters."""
    page: Callable[[dict[str, Any]], str] | None = None
    """Where the form is shown, when not on its own URL."""
    fields: Callable[[dict[str, Any]], list[str]] | None = None
    """The endpoint's own field names, also fuzzed when its page shows no such form in the demo's state."""
    query: str = ""
    obj: Callable[[dict[str, Any]], Model | None] = lambda kwargs: None
    """The object under edit: its row is compared when a submission is refused."""


def first(queryset: Any, **url: str) -> Finder:
    """URL arguments from the first object of the queryset: {url name: attribute}."""

    def finder(demo: Demo) -> dict[str, Any]:
        obj = queryset.first()
        assert obj is not None, f"the demo tree has no {queryset.model.__name__}"
        return {name: getattr(obj, attribute) for name, attribute in (url or {"pk": "pk"}).items()}

    return finder


def none(demo: Demo) -> dict[str, Any]:
    return {}


def field_names(
    *form_classes: Any, prefix: str = "", more: tuple[str, ...] = ()
) -> Callable[[dict[str, Any]], list[str]]:
    """The fields a form class declares, as posted (with the view's prefix)."""
    return lambda kwargs: (
        [
            f"{prefix.format(**kwargs)}-{name}" if prefix else name
            for form_class in form_classes
            for name in form_class.base_fields
        ]
        + list(more)
    )


def every_task_step(demo: Demo) -> list[dict[str, Any]]:
    return [
        {"pk": pk, "action": action}
        for pk in RectificationTask.objects.values_list("pk", flat=True)
        for action in STEPS
    ]


def task_step_fields(kwargs: dict[str, Any]) -> list[str]:
    action = kwargs["action"]
    return [f"{action}-{name}" for name in STEPS[action].form.base_fields]


def model_row(model: type[Model], key: str = "pk") -> Callable[[dict[str, Any]], Model | None]:
    return lambda kwargs: model._default_manager.filter(pk=kwargs[key]).first()


def page_of(name: str, key: str = "pk", **fixed: Any) -> Callable[[dict[str, Any]], str]:
    return lambda kwargs: reverse(name, kwargs={key: kwargs[key], **fixed} if key else fixed)


SECRETARY_LIST = ResponsibilityList.objects.filter(organization__positions__person__username="demo-secretary")
SECRETARY_ITEM = ListItem.objects.filter(list__organization__positions__person__username="demo-secretary")
OPEN_REPORT = DutyReport.objects.filter(cycle__status=Cycle.Status.OPEN).order_by("status", "pk")
OPEN_CYCLE = Cycle.objects.filter(status=Cycle.Status.OPEN)


SECRETARY_ROLL = Member.objects.filter(
    organization__positions__person__username="demo-secretary", left_on__isnull=True
).order_by("pk")


SECRETARY_PLANNED = Meeting.objects.filter(
    organization__positions__person__username="demo-secretary", status=Meeting.Status.PLANNED
).order_by("starts_at", "pk")


def own_roll(demo: Demo) -> dict[str, Any]:
    organization = Organization.objects.get(positions__person__username="demo-secretary", positions__role="secretary")
    return {"org_pk": organization.pk}


def township(demo: Demo) -> dict[str, Any]:
    organization = Organization.objects.get(positions__person__username="demo-township", positions__role="secretary")
    return {"org_pk": organization.pk}


def this_year_next_org(demo: Demo) -> dict[str, Any]:
    organization = Organization.objects.get(positions__person__username="demo-secretary", positions__role="secretary")
    return {"org_pk": organization.pk, "year": demo.year + 1}


def own_org_this_year(demo: Demo) -> dict[str, Any]:
    organization = Organization.objects.get(positions__person__username="demo-secretary", positions__role="secretary")
    return {"org_pk": organization.pk, "year": demo.year}


def supervised_org_this_year(demo: Demo) -> dict[str, Any]:
    organization = Organization.objects.filter(kind=Organization.Kind.BRANCH).order_by("path").first()
    assert organization is not None
    return {"org_pk": organization.pk, "year": demo.year}


FORMS: dict[str, FormSpec] = {
    # accounts
    "login": FormSpec(none, person=""),
    "password_change": FormSpec(none, person="demo-member"),
    "notification_settings": FormSpec(none, person="demo-secretary"),
    "notifications_read_all": FormSpec(none, page=lambda kwargs: reverse("notifications")),
    "organization_import": FormSpec(none),
    "two_factor_settings": FormSpec(none),
    "two_factor_verify": FormSpec(none, fields=field_names(TwoFactorCodeForm)),
    "two_factor_enrol": FormSpec(none, fields=field_names(TwoFactorEnrolForm)),
    "two_factor_recovery_codes": FormSpec(none, page=lambda kwargs: reverse("two_factor_settings")),
    "two_factor_disable": FormSpec(none, fields=field_names(TwoFactorDisableForm)),
    # first sign-in (issue 17)
    "first_sign_in": FormSpec(none, person="", fields=field_names(FirstSignInForm)),
    "organization_sign_in_slips": FormSpec(
        first(Organization.objects.filter(positions__person__username="demo-township", positions__role="secretary")),
        person="demo-township",
    ),
    "imported_sign_in_slips": FormSpec(none, fields=field_names(SlipPeopleForm)),
    # members
    "member_add": FormSpec(own_roll, person="demo-secretary"),
    "member_edit": FormSpec(first(SECRETARY_ROLL), person="demo-secretary", obj=model_row(Member)),
    "member_status": FormSpec(first(SECRETARY_ROLL), person="demo-secretary", obj=model_row(Member)),
    "member_transfer": FormSpec(first(SECRETARY_ROLL), person="demo-secretary", obj=model_row(Member)),
    "member_login": FormSpec(
        first(SECRETARY_ROLL.filter(person__isnull=True)),
        person="demo-secretary",
        page=page_of("member_detail"),
        obj=model_row(Member),
    ),
    "member_groups": FormSpec(own_roll, person="demo-secretary"),
    "member_group_edit": FormSpec(
        first(PartyGroup.objects.filter(organization__positions__person__username="demo-secretary").order_by("pk")),
        person="demo-secretary",
        obj=model_row(PartyGroup),
    ),
    "member_import": FormSpec(own_roll, person="demo-secretary"),
    # meetings
    "meeting_plan": FormSpec(own_roll, person="demo-secretary"),
    "meeting_rules": FormSpec(township, person="demo-township"),
    "meeting_sign_in_code": FormSpec(none, person="demo-member"),
    "meeting_sign_in": FormSpec(first(SECRETARY_PLANNED), person="demo-member", obj=model_row(Meeting)),
    "meeting_edit": FormSpec(first(SECRETARY_PLANNED), person="demo-secretary", obj=model_row(Meeting)),
    "meeting_close": FormSpec(first(SECRETARY_PLANNED), person="demo-secretary", obj=model_row(Meeting)),
    "meeting_cancel": FormSpec(
        first(SECRETARY_PLANNED), person="demo-secretary", page=page_of("meeting_detail"), obj=model_row(Meeting)
    ),
    "meeting_files": FormSpec(
        first(SECRETARY_PLANNED), person="demo-secretary", page=page_of("meeting_detail"), obj=model_row(Meeting)
    ),
    "meeting_mark": FormSpec(
        first(Attendance.objects.filter(meeting__in=SECRETARY_PLANNED).order_by("pk")),
        person="demo-secretary",
        page=lambda kwargs: reverse("meeting_detail", args=[Attendance.objects.get(pk=kwargs["pk"]).meeting_id]),
        obj=model_row(Attendance),
    ),
    "item_meeting_link": FormSpec(
        first(SECRETARY_ITEM.order_by("pk")),
        person="demo-secretary",
        page=page_of("item_detail"),
        obj=model_row(ListItem),
    ),
    # responsibility
    "list_for_org": FormSpec(this_year_next_org, person="demo-secretary"),
    "list_item_add": FormSpec(first(SECRETARY_LIST), person="demo-secretary", obj=model_row(ResponsibilityList)),
    "list_item_edit": FormSpec(first(SECRETARY_ITEM), person="demo-secretary", obj=model_row(ListItem)),
    "list_item_remove": FormSpec(first(SECRETARY_ITEM), page=page_of("item_detail"), obj=model_row(ListItem)),
    "list_action": FormSpec(
        lambda demo: [
            {"pk": lst.pk, "action": action}
            for lst in ResponsibilityList.objects.order_by("pk")[:6]
            for action in ("submit", "approve", "return", "revise", "close")
        ],
        fields=field_names(ListActionForm),
        page=page_of("list_detail"),
        obj=model_row(ResponsibilityList),
    ),
    "work_plans": FormSpec(none, person="demo-county"),
    "work_plan_detail": FormSpec(first(WorkPlan.objects.order_by("pk")), obj=model_row(WorkPlan)),
    "list_templates": FormSpec(none, person="demo-county"),
    "list_template_detail": FormSpec(first(ListTemplate.objects.order_by("pk")), obj=model_row(ListTemplate)),
    "record_add": FormSpec(first(SECRETARY_ITEM), person="demo-secretary", obj=model_row(ListItem)),
    "record_edit": FormSpec(
        first(DutyRecord.objects.exclude(status=DutyRecord.Status.ACCEPTED).order_by("pk")),
        obj=model_row(DutyRecord),
    ),
    "record_review": FormSpec(
        first(DutyRecord.objects.filter(status=DutyRecord.Status.SUBMITTED).order_by("pk")),
        page=page_of("record_detail"),
        fields=field_names(ReviewForm, more=("next",)),
        obj=model_row(DutyRecord),
    ),
    "evidence_remove": FormSpec(
        first(Evidence.objects.exclude(record__status=DutyRecord.Status.ACCEPTED).order_by("pk")),
        page=lambda kwargs: reverse("record_edit", args=[Evidence.objects.get(pk=kwargs["pk"]).record_id]),
        obj=model_row(Evidence),
    ),
    "commitment_edit": FormSpec(own_org_this_year, person="demo-secretary"),
    "contact_points": FormSpec(none, person="demo-township"),
    # similarity
    "standard_texts": FormSpec(none, person="demo-township"),
    "contact_point_detail": FormSpec(first(ContactPoint.objects.order_by("pk")), obj=model_row(ContactPoint)),
    # reviews
    "report_edit": FormSpec(first(OPEN_REPORT), obj=model_row(DutyReport)),
    "report_autosave": FormSpec(
        first(OPEN_REPORT), page=page_of("report_edit"), fields=lambda kwargs: ["revision"], obj=model_row(DutyReport)
    ),
    "report_self_assessment": FormSpec(
        first(OPEN_REPORT),
        query="?indicator={indicator}",
        obj=model_row(DutyReport),
    ),
    "report_submit": FormSpec(first(OPEN_REPORT), obj=model_row(DutyReport)),
    "report_score": FormSpec(
        lambda demo: {"pk": ReviewerAssignment.objects.filter(report__cycle__status=Cycle.Status.OPEN).first().pk},  # type: ignore[union-attr]
        person="{reviewer}",
        obj=model_row(ReviewerAssignment),
    ),
    "report_assess": FormSpec(first(OPEN_REPORT), obj=model_row(DutyReport)),
    "report_return": FormSpec(
        first(OPEN_REPORT), page=page_of("report_assess"), fields=field_names(ReturnForm), obj=model_row(DutyReport)
    ),
    "problem_remove": FormSpec(
        first(Problem.objects.order_by("pk")),
        page=lambda kwargs: reverse("report_assess", args=[Problem.objects.get(pk=kwargs["pk"]).report_id]),
        obj=model_row(Problem),
    ),
    "cycle_create": FormSpec(none, person="demo-township"),
    "cycle_settings": FormSpec(
        lambda demo: [{"pk": pk} for pk in Cycle.objects.values_list("pk", flat=True)],
        fields=field_names(CycleSettingsForm),
        obj=model_row(Cycle),
    ),
    "cycle_indicators": FormSpec(first(OPEN_CYCLE), obj=model_row(Cycle)),
    "cycle_action": FormSpec(
        lambda demo: [{"pk": pk, "action": "open"} for pk in Cycle.objects.values_list("pk", flat=True)],
        page=page_of("cycle_detail"),
        obj=model_row(Cycle),
    ),
    "cycle_close": FormSpec(first(OPEN_CYCLE), obj=model_row(Cycle)),
    "cycle_reviewers": FormSpec(first(OPEN_CYCLE), obj=model_row(Cycle)),
    "ballot_codes": FormSpec(first(OPEN_CYCLE), obj=model_row(Cycle)),
    "rubric_templates": FormSpec(none, person="demo-township"),
    "rubric_template_detail": FormSpec(first(RubricTemplate.objects.order_by("pk")), obj=model_row(RubricTemplate)),
    "vote": FormSpec(none, person=""),
    "yearly_report_request": FormSpec(none, page=lambda kwargs: reverse("yearly_reports")),
    "yearly_report_retry": FormSpec(
        first(RenderedReport.objects.order_by("pk")),
        page=lambda kwargs: reverse("yearly_reports"),
        obj=model_row(RenderedReport),
    ),
    # rectification
    "finding_new": FormSpec(none, person="demo-township"),
    "findings_from_review": FormSpec(
        first(DutyReport.objects.filter(problems__isnull=False).order_by("pk"), report_pk="pk"),
        obj=model_row(DutyReport, "report_pk"),
    ),
    "task_new": FormSpec(
        none,
        person="demo-township",
        query="?findings={finding}",
    ),
    "finding_recurrence": FormSpec(
        first(Finding.objects.filter(recurring_state=Finding.Recurrence.SUGGESTED).order_by("pk")),
        page=lambda kwargs: reverse("rectification_board"),
        fields=field_names(RecurrenceForm),
        obj=model_row(Finding),
    ),
    "disclosure": FormSpec(supervised_org_this_year),
    "task_action": FormSpec(
        every_task_step,
        page=page_of("task_detail"),
        fields=task_step_fields,
        obj=model_row(RectificationTask),
    ),
    "extension_decide": FormSpec(
        first(ExtensionRequest.objects.order_by("pk")),
        page=lambda kwargs: reverse("task_detail", args=[ExtensionRequest.objects.get(pk=kwargs["pk"]).task_id]),
        fields=field_names(ExtensionDecisionForm, prefix="decide"),
        obj=model_row(ExtensionRequest),
    ),
    "inspection_new": FormSpec(none, person="demo-township"),
    "inspection_complete": FormSpec(
        first(Inspection.objects.order_by("pk")), page=page_of("inspection_detail"), obj=model_row(Inspection)
    ),
    "inspection_target": FormSpec(first(InspectionTarget.objects.order_by("pk")), obj=model_row(InspectionTarget)),
}

NOT_FUZZED: dict[str, str] = {
    "meeting_home": "no form",
    "meeting_detail": "no form of its own: its forms post to meeting_mark, meeting_files and meeting_cancel",
    "meeting_open": "no fields: a button",
    "meeting_code": "no form: the host's screen",
    "meeting_file": "a file",
    "meeting_file_remove": "no fields: a button",
    "life_overview": "GET year only",
    "life_overview_org": "GET year only",
    "life_overview_export": "a file",
    "life_overview_org_export": "a file",
    "meeting_year": "no form (year links only)",
    "meeting_organization": "no form: leads to meeting_year",
    "member_rolls": "no form",
    "member_figures": "GET filter only",
    "member_roll": "GET filters only (its export button is member_export's)",
    "member_detail": "no form of its own (its button is member_login's)",
    "member_export": "no fields: a button that downloads the roll and records the export",
    "home": "no form",
    "logout": "no fields: Django's LogoutView",
    "organization_tree": "GET search only",
    "organization_detail": "no form",
    "import_template": "a file",
    "notifications": "no form",
    "notification_open": "no form",
    "dashboard": "no form",
    "calendar_feed": "no form",
    "audit_log": "GET filters only",
    "list_detail": "no form of its own: its forms post to list_action",
    "list_review_queue": "no form",
    "list_version": "no form",
    "work_plan_coverage": "GET only",
    "my_list": "GET filters only",
    "item_detail": "no form of its own",
    "record_review_queue": "GET search only",
    "record_detail": "no form of its own: it posts to record_review",
    "evidence_download": "a file",
    "progress_overview": "GET filters only",
    "progress_export": "GET filters only",
    "list_export": "a file",
    "public_commitments": "GET filters only",
    "public_commitment": "no form",
    "my_reports": "no form",
    "report_detail": "no form",
    "report_version": "no form",
    "report_result": "no form",
    "review_queue": "no form",
    "cycles": "no form",
    "cycle_detail": "no form of its own: it posts to cycle_action",
    "cycle_ranking": "no form",
    "cycle_export": "a file",
    "ballot_sheet": "no form",
    "vote_done": "no form",
    "yearly_reports": "no form of its own: it posts to yearly_report_request",
    "yearly_report_download": "a file",
    "rectification_board": "GET filters only",
    "findings": "GET filters only",
    "ledger_export": "a file",
    "public_rectifications": "GET filters only",
    "public_rectification": "no form",
    "my_tasks": "no form",
    "task_detail": "no form of its own: it posts to task_action",
    "task_evidence": "a file",
    "inspections": "no form",
    "inspection_detail": "no form of its own",
    "set_language": "Django's language switch",
    "healthz": "no form",
    "admin_password_change_redirect": "no form: leads to password_change",
    "similar_pairs": "GET filters only",
    "similar_pairs_export": "a file",
    "similar_pair": "no form of its own: its buttons post to standard_texts",
    "standard_text_remove": "no fields: a button",
}


def test_every_url_pattern_is_classified() -> None:
    names = site_url_names()
    unclassified = names - FORMS.keys() - NOT_FUZZED.keys()
    assert not unclassified, f"fuzz these forms (FORMS) or say why not (NOT_FUZZED): {unclassified}"
    assert not (FORMS.keys() | NOT_FUZZED.keys()) - names, "classified names the site no longer has"
    assert not FORMS.keys() & NOT_FUZZED.keys()


# Hostile values ----------------------------------------------------------------------------------------

# Lone surrogates (Cs) cannot be encoded as UTF-8 at all, so no browser can send them.
unicode_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40)
hostile_scalars = st.one_of(
    unicode_text,
    unicode_text.map(lambda text: f"{text}\x00{text}"),
    st.just("党" * 10_001),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(
        [
            "",
            " ",
            "-1",
            "0",
            "1.5",
            "1e309",
            "NaN",
            "Infinity",
            "2026-02-30",
            "0000-00-00",
            "99999-12-31",
            "2026-13-01",
            "12:99",
            "true",
            "on",
            "None",
            "null",
            "[]",
            "{}",
            "<script>alert(1)</script>",
            "../../etc/passwd",
            "%00",
            "１２３",
            "٣",
        ]
    ),
    st.just(str(NONEXISTENT_PK)),
)


def hostile_file(name_hint: str) -> st.SearchStrategy[SimpleUploadedFile]:
    names = st.sampled_from(
        ["a.pdf", "a.jpg", "a.exe", "a.xlsx", "a.csv", "没有扩展名", "x" * 300 + ".pdf", "../../evil.pdf", ".pdf"]
    )
    contents = st.one_of(
        st.binary(max_size=256),
        st.just(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"),
        st.just(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32),
        st.text(max_size=100).map(lambda text: text.encode("utf-8", "surrogatepass")),
    )
    return st.builds(lambda name, content: SimpleUploadedFile(name, content), names, contents)


@dataclass(frozen=True)
class Context:
    """Ids from all over the tree: other organizations', other people's, other lists' objects."""

    ids: list[str]


def field_value(spec: Field, context: Context) -> st.SearchStrategy[Any]:
    if spec.kind == "file":
        return st.one_of(st.just(MISSING), hostile_file(spec.name), st.lists(hostile_file(spec.name), max_size=3))
    valid = [option for option in spec.options if option != ""] or ([spec.value] if spec.value else [])
    choices: list[st.SearchStrategy[Any]] = [
        st.just(MISSING),
        hostile_scalars,
        st.sampled_from(context.ids),
        st.lists(hostile_scalars, min_size=2, max_size=3),
    ]
    if valid:
        # Valid values twice over, so that many submissions get past the form into the service.
        choices += [st.sampled_from(valid), st.sampled_from(valid)]
        if spec.multiple or spec.kind == "checkbox":
            choices.append(st.lists(st.sampled_from(valid), max_size=4, unique=True))
    return st.one_of(*choices)


def form_data(form: Form, context: Context) -> st.SearchStrategy[dict[str, Any]]:
    values = st.fixed_dictionaries({name: field_value(spec, context) for name, spec in form.fields.items()})
    extra = st.dictionaries(
        st.sampled_from(["id", "pk", "organization", "by", "status", "x"]), hostile_scalars, max_size=2
    )
    return st.builds(lambda kept, more: {**more, **{k: v for k, v in kept.items() if v is not MISSING}}, values, extra)


# The check ----------------------------------------------------------------------------------------------


def database_snapshot(obj: Model | None) -> dict[str, Any]:
    """Every domain model's row count (history tables count every change) and the edited object's row."""
    snapshot: dict[str, Any] = {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in DOMAIN_APPS
    }
    if obj is not None:
        rows = list(type(obj)._default_manager.filter(pk=obj.pk).values_list())
        snapshot["object"] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return snapshot


def succeeded(response: Any) -> bool:
    """A success says so, or redirects without an error; a refusal re-renders, answers 4xx or flashes an error."""
    levels = {message.level for message in get_messages(response.wsgi_request)}
    if message_levels.SUCCESS in levels:
        return True
    if response.status_code >= 400 or message_levels.ERROR in levels:
        return False
    if response.headers.get("Content-Type", "").startswith("application/json"):
        return response.status_code == 200
    return 300 <= response.status_code < 400


def post_and_check(client: Client, url: str, data: Any, obj: Model | None, *, json_body: bool = False) -> None:
    with transaction.atomic():
        before = database_snapshot(obj)
        if json_body:
            response = client.post(url, data=json.dumps(data), content_type="application/json")
        else:
            response = client.post(url, data)
        assert response.status_code < 500, f"POST {url} {data!r:.2000}: server error {response.status_code}"
        if not succeeded(response):
            if obj is not None:
                obj.refresh_from_db()
            assert database_snapshot(obj) == before, f"POST {url} {data!r:.2000}: refused, yet the database changed"
        transaction.set_rollback(True)


def fill(template: str, demo: Demo, kwargs: dict[str, Any]) -> str:
    """Query strings and people that depend on the demo's objects."""
    if "{indicator}" in template:
        report = DutyReport.objects.get(pk=kwargs["pk"])
        template = template.replace("{indicator}", str(report.cycle.indicators.order_by("pk").first().pk))  # type: ignore[union-attr]
    if "{finding}" in template:
        finding = Finding.objects.filter(task__isnull=True).order_by("pk").first()
        assert finding is not None
        template = template.replace("{finding}", str(finding.pk))
    if "{reviewer}" in template:
        template = ReviewerAssignment.objects.get(pk=kwargs["pk"]).reviewer.username
    return template


def context_ids() -> Context:
    ids: set[int] = set()
    for model in (Organization, User, ListItem, DutyRecord, DutyReport, Finding, RectificationTask, Cycle):
        ids.update(model.objects.order_by("-pk").values_list("pk", flat=True)[:5])
        ids.update(model.objects.order_by("pk").values_list("pk", flat=True)[:5])
    return Context(ids=[str(pk) for pk in sorted(ids)])


@pytest.fixture
def _media_root() -> None:
    """The demo's evidence files live in the module's folder (see tests/test_probe_permissions.py)."""


def client_of(person: str) -> Client:
    client = Client(raise_request_exception=False)
    if person:
        client.force_login(User.objects.get(username=person))
    return client


@dataclass(frozen=True)
class Submission:
    form: Form
    url: str
    obj: Model | None


def submissions(client: Client, name: str, spec: FormSpec, demo: Demo) -> list[Submission]:
    """Every form posting to this URL name, on the pages of every variant, plus the declared fields."""
    found = spec.kwargs(demo)
    variants = found if isinstance(found, list) else [found]
    chosen: list[Submission] = []
    pages: dict[str, list[Form]] = {}
    for kwargs in variants:
        url = reverse(name, kwargs=kwargs) + fill(spec.query, demo, kwargs)
        page = spec.page(kwargs) if spec.page else url
        if page not in pages:
            pages[page] = forms_on(client, page)
        obj = spec.obj(kwargs)
        for form in pages[page]:
            posts_to = form.action.split("?")[0] or page.split("?")[0]
            if posts_to == url.split("?")[0]:
                chosen.append(Submission(form, url if not form.action else form.action, obj))
        if spec.fields is not None:
            declared = Form(action=url, fields={field: Field(field, "text") for field in spec.fields(kwargs)})
            chosen.append(Submission(declared, url, obj))
    if not chosen:
        # A form with no fields at all (remove, mark all read): the empty POST is what a browser sends.
        chosen = [Submission(Form(action=url), url, spec.obj(variants[0]))]
    return chosen


@pytest.mark.parametrize("name", sorted(FORMS))
def test_form_survives_hostile_input(demo: Demo, db: None, name: str) -> None:
    spec = FORMS[name]
    first_kwargs = spec.kwargs(demo)
    person = fill(spec.person, demo, first_kwargs[0] if isinstance(first_kwargs, list) else first_kwargs)
    client = client_of(person)
    choices = submissions(client, name, spec, demo)
    context = context_ids()

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data())
    def submit(data: st.DataObject) -> None:
        chosen = data.draw(st.sampled_from(choices), label="form")
        values = data.draw(form_data(chosen.form, context), label="values")
        post_and_check(client, chosen.url, values, chosen.obj)

    submit()

    # And the two classics on an otherwise untouched form, for every form found: a NUL in every text
    # field (PostgreSQL refuses to store it), then every typed field ten thousand characters long.
    for chosen in choices[:MAX_FORMS_PER_PASS]:
        for poison, kinds in (("甲\x00乙", TEXT_KINDS), ("党" * 10_001, TEXT_KINDS | TYPED_KINDS)):
            values = {
                name: poison if spec.kind in kinds else untouched(spec)
                for name, spec in chosen.form.fields.items()
                if spec.kind != "file"
            }
            post_and_check(client, chosen.url, values, chosen.obj)


TEXT_KINDS = {"text", "textarea", "search", "email", "url", "tel", "password"}
TYPED_KINDS = {"number", "date", "datetime-local", "time", "month"}
MAX_FORMS_PER_PASS = 3


def untouched(spec: Field) -> Any:
    """What the browser would send for a field left alone."""
    if spec.kind == "checkbox":
        return []
    if spec.kind == "select" and not spec.value and spec.options:
        return spec.options[0]
    return spec.value


def test_autosave_survives_hostile_json(demo: Demo, db: None) -> None:
    """The report editor's autosave takes JSON: any JSON at all, NUL and huge sections included."""
    report = OPEN_REPORT.first()
    assert report is not None
    client = client_of("demo-admin")
    url = reverse("report_autosave", args=[report.pk])
    titles = report.cycle.section_titles()
    json_values = st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), hostile_scalars),
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(st.one_of(unicode_text, st.sampled_from(titles)), children, max_size=3),
        ),
        max_leaves=8,
    )
    sections = st.dictionaries(st.sampled_from(titles), st.one_of(hostile_scalars, json_values), max_size=len(titles))
    payloads = st.one_of(
        json_values,
        st.fixed_dictionaries({"revision": st.one_of(st.just(report.revision), st.integers()), "sections": sections}),
    )

    @settings(
        max_examples=EXAMPLES * 3,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(payload=payloads)
    @example(payload={"revision": report.revision, "sections": dict.fromkeys(titles, "甲\x00乙")})
    @example(payload={"revision": report.revision, "sections": dict.fromkeys(titles, "党" * 100001)})
    def submit(payload: Any) -> None:
        post_and_check(client, url, payload, report, json_body=True)

    submit()


# Search and filter pages: GET forms --------------------------------------------------------------------

GET_POISONS = ("甲\x00乙", "党" * 10_001, str(10**30), "2026-02-30")
COMMON_PARAMETERS = {"q", "page", "year", "org", "status", "organization"}
PUBLIC_PAGES = {"public_commitments", "public_rectifications", "vote"}
NO_SEARCH = {"logout", "set_language", "healthz", "vote_done", "login"}


def pages_to_search(demo: Demo) -> list[str]:
    """Every page without arguments (lists, searches, filters, exports), and one of each page about an object."""
    pages = []
    for name in sorted(site_url_names()):
        if name in NO_SEARCH or name.startswith("two_factor"):
            continue
        try:
            pages.append(reverse(name))
        except NoReverseMatch:
            probe = PROBES.get(name)
            if probe is not None and "GET" in probe.rules:
                target = probe.targets(demo)[0]
                pages.append(reverse(name, kwargs=target.kwargs))
    return pages


def test_search_and_filter_pages_survive_hostile_queries(demo: Demo, db: None) -> None:
    """Every field of every GET form, and the usual parameters, set to NUL, ten thousand characters, nonsense."""
    admin = client_of("demo-admin")
    anonymous = client_of("")
    failures = []
    public = {reverse(name) for name in PUBLIC_PAGES}
    for page in pages_to_search(demo):
        client = anonymous if page in public else admin
        parameters = set(COMMON_PARAMETERS)
        for form in forms_on(client, page, method="get"):
            parameters.update(form.fields)
        for poison in GET_POISONS:
            status = client.get(page, dict.fromkeys(parameters, poison)).status_code
            if status >= 500:
                failures.append(f"GET {page} with every parameter {poison[:20]!r}: {status}")
    assert not failures, "\n".join(failures)
