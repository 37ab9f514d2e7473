"""The choice of which kind of meeting a list item counts: the rules, one of the organization's kinds, or none."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from meetings.models import MeetingKind
from meetings.progress import kinds_for
from responsibility.models import ListItem

BY_RULE = "rule"
NO_MEETING = "none"


def kind_choices(kinds: Sequence[MeetingKind]) -> list[tuple[str, str]]:
    """The kinds the item's organization may hold, after 按规则 and before 不计入会议."""
    return [
        (BY_RULE, str(_("按规则（由条目内容判断）"))),
        *((str(kind.pk), kind.name) for kind in kinds),
        (NO_MEETING, str(_("不计入会议"))),
    ]


class ItemLinkForm(forms.Form):
    kind = forms.ChoiceField(label=_("计入会议"))

    def __init__(self, *args: Any, item: ListItem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item = item
        # A branch's kinds for a branch's item, a committee's (民主生活会…) for a committee's.
        kinds = kinds_for(item.list.organization)
        self._kinds = {str(kind.pk): kind for kind in kinds}
        cast(forms.ChoiceField, self.fields["kind"]).choices = kind_choices(kinds)

    @property
    def by_rule(self) -> bool:
        return self.cleaned_data["kind"] == BY_RULE

    @property
    def chosen_kind(self) -> MeetingKind | None:
        """The kind chosen by hand; None for 不计入会议."""
        return self._kinds.get(self.cleaned_data["kind"])
