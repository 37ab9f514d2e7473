"""Forms of 民主测评: generating ballot codes, typing a code, and the ballot itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from reviews.models import Rating
from reviews.services import BALLOT_CODE_LENGTH, MAX_CODES_PER_BATCH, normalize_code

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The optional per-item ratings (分项评价). The stored key is the Chinese word, whatever the voter's language.
BALLOT_ASPECTS: tuple[tuple[str, str], ...] = (
    ("aspect_political", gettext_noop("政治建设")),
    ("aspect_duty", gettext_noop("履职尽责")),
    ("aspect_conduct", gettext_noop("作风形象")),
    ("aspect_masses", gettext_noop("联系群众")),
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

    def __init__(self, *args: Any, organizations: Sequence[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["count"].help_text = gettext(
            "一般按应参加测评的党员人数生成，每人一码，一码一票；每批最多 %(max)s 个。"
        ) % {"max": MAX_CODES_PER_BATCH}
        self.organizations = {organization.pk: organization for organization in organizations}
        field = self.fields["organization"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("请选择")), *((pk, org.name) for pk, org in self.organizations.items())]

    def clean_organization(self) -> Organization:
        return self.organizations[self.cleaned_data["organization"]]


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
    """The overall rating of the secretary, and optional ratings per aspect."""

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
