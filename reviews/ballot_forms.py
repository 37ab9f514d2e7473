"""Forms of 民主测评: generating ballot codes, typing a code, and the ballot itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from reviews.models import Rating
from reviews.services import BALLOT_ASPECT_LABELS, BALLOT_CODE_LENGTH, MAX_CODES_PER_BATCH, normalize_code

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The optional per-item ratings (分项评价): form field names for the service's aspects, in its order.
BALLOT_ASPECTS: tuple[tuple[str, str], ...] = tuple(
    zip(("aspect_political", "aspect_duty", "aspect_conduct", "aspect_masses"), BALLOT_ASPECT_LABELS, strict=True)
)


class BallotCodesForm(forms.Form):
    """How many one-time codes to make for which participating organization."""

    organization = forms.TypedChoiceField(label=_("党组织"), coerce=int)
    # The service checks the number (1..MAX_CODES_PER_BATCH) and says so; the form only carries it.
    count = forms.CharField(
        label=_("数量"),
        max_length=10,
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_CODES_PER_BATCH, "inputmode": "numeric"}),
    )
    reason = forms.CharField(
        label=_("超出在册党员人数的理由"),
        max_length=500,
        required=False,
        help_text=_(
            "测评码总数不超过在册党员人数时不必填写；超过时必须说明（例如列席测评的群众代表），理由随批次保存。"
        ),
    )

    def __init__(self, *args: Any, organizations: Sequence[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["count"].help_text = gettext(
            "按应参加测评的在册党员人数生成，每人一码，一码一票；每批最多 %(max)s 个。"
        ) % {"max": MAX_CODES_PER_BATCH}
        self.organizations = {organization.pk: organization for organization in organizations}
        field = self.fields["organization"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("请选择")), *((pk, org.name) for pk, org in self.organizations.items())]

    def clean_organization(self) -> Organization:
        return self.organizations[self.cleaned_data["organization"]]


class BallotCodeVoidForm(forms.Form):
    """A code to void (a slip lost or handed out in error) and why."""

    code = forms.CharField(label=_("测评码"), max_length=64)
    reason = forms.CharField(label=_("作废理由"), max_length=500)


class VoteCodeForm(forms.Form):
    """The code printed on the slip; spaces and lower case are forgiven."""

    code = forms.CharField(
        label=_("测评码"),
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "class": "vote-code"}
        ),
        error_messages={"required": _("请输入测评码。")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = gettext("请输入测评票上的 %(length)s 位测评码，不区分大小写。") % {
            "length": BALLOT_CODE_LENGTH
        }

    def clean_code(self) -> str:
        return normalize_code(self.cleaned_data["code"])


def _rating_field(label: StrOrPromise, *, required: bool) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=Rating.choices,
        widget=forms.RadioSelect,
        required=required,
        error_messages={"required": _("请选择评价：好、较好、一般或差。")},
    )


class BallotForm(forms.Form):
    """The overall rating of the secretary, and optional ratings per aspect; the code rides along in the body."""

    code = forms.CharField(max_length=64, widget=forms.HiddenInput)
    rating = _rating_field(_("总体评价"), required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, aspect in BALLOT_ASPECTS:
            self.fields[name] = _rating_field(_(aspect), required=False)

    def aspect_fields(self) -> list[forms.BoundField]:
        return [self[name] for name, _aspect in BALLOT_ASPECTS]

    def item_ratings(self) -> dict[str, str]:
        """{aspect: rating} for the aspects the voter rated."""
        return {aspect: self.cleaned_data[name] for name, aspect in BALLOT_ASPECTS if self.cleaned_data.get(name)}
