"""What each notification says, by key: its title and body as translatable templates, filled at read time.

A notification stores a message key and the raw values of its placeholders (names, ISO dates, numbers);
the notification centre, the admin, mail and group robots render it in the reader's language: the page's
for whoever reads it on the site, the recipient's `User.language` for mail and robots. So an English
reader sees an English title for a notice a Chinese request caused, and the reverse.

Templates use named placeholders (`%(name)s`) so a translation may reorder them; a template with a
count is an `ngettext_lazy` keyed by the count's name. A parameter named in `Message.dates` holds an
ISO date or datetime and is formatted for the reader; one named in `Message.choices` holds a key of a
phrase table whose phrase is rendered with the same parameters (a reminder's subject, a grade).
A missing number (None) renders as a dash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

Template = str | Promise

MISSING = "—"
DATETIME_FORMAT = "Y-m-d H:i"


@dataclass(frozen=True)
class Line:
    """A body line shown only when the parameter `when` is not empty (a comment the sender may leave blank)."""

    when: str
    template: Template


@dataclass(frozen=True)
class Message:
    title: Template
    body: tuple[Template | Line, ...] = ()
    dates: tuple[str, ...] = ()
    choices: Mapping[str, Mapping[str, Template]] = field(default_factory=dict)


# A reminder's subject: what is due. The quoted text is the row's own (a list item's content, a task's title).
REMINDER_SUBJECTS: dict[str, Template] = {
    "item": _("责任清单事项「%(content)s」"),
    "report": _("述职报告「%(cycle)s」"),
    "scoring": _("述职评分「%(organization)s」"),
    "ballot": _("民主测评「%(cycle)s」"),
    "task": _("整改任务「%(title)s」"),
    "meeting": _("组织生活「%(kind)s」（本期已召开 %(done)s 次，应召开 %(required)s 次）"),
}

# What a reminder asks of its reader, by the role they are reminded in.
REMINDER_ADVICE: dict[str, Template] = {
    "committee": ngettext_lazy(
        "下级组织的整改任务已逾期 %(days)s 天（责任人：%(person)s），请挂牌督办。",
        "下级组织的整改任务已逾期 %(days)s 天（责任人：%(person)s），请挂牌督办。",
        "days",
    ),
    "secretary": ngettext_lazy(
        "本组织的整改任务已逾期 %(days)s 天（责任人：%(person)s），请督促整改。",
        "本组织的整改任务已逾期 %(days)s 天（责任人：%(person)s），请督促整改。",
        "days",
    ),
    "late": _("已超过截止日期，请尽快办理。"),
    "before": _("请在截止日期前办理。"),
}

# reviews.models.Grade's labels (the same msgids, so the same translations); a test keeps them equal.
GRADES: dict[str, Template] = {
    "good": _("好"),
    "fair": _("较好"),
    "average": _("一般"),
    "poor": _("差"),
    "pending": _("待定"),
}

_REMINDER_BODY: tuple[Template | Line, ...] = (
    _("党组织：%(organization)s"),
    _("截止日期：%(date)s"),
    "%(advice)s",
)
_REMINDER_CHOICES = {"subject": REMINDER_SUBJECTS, "advice": REMINDER_ADVICE}

MESSAGES: dict[str, Message] = {
    # Deadline reminders (reminders.sweep): `days` is how many days remain, or how many have passed.
    "reminder.due_in": Message(
        title=ngettext_lazy("%(subject)s还有 %(days)s 天截止", "%(subject)s还有 %(days)s 天截止", "days"),
        body=_REMINDER_BODY,
        dates=("date",),
        choices=_REMINDER_CHOICES,
    ),
    "reminder.due_today": Message(
        title=_("%(subject)s今天截止"), body=_REMINDER_BODY, dates=("date",), choices=_REMINDER_CHOICES
    ),
    "reminder.overdue": Message(
        title=ngettext_lazy("%(subject)s已逾期 %(days)s 天", "%(subject)s已逾期 %(days)s 天", "days"),
        body=_REMINDER_BODY,
        dates=("date",),
        choices=_REMINDER_CHOICES,
    ),
    # responsibility
    "list_returned": Message(title=_("%(year)s 年度责任清单被退回修改"), body=("%(comment)s",)),
    "record_returned": Message(title=_("履责记实被驳回：%(content)s"), body=("%(reason)s",)),
    # reviews
    "report_submitted": Message(title=_("述职报告已提交，待评议：%(organization)s")),
    "report_returned": Message(title=_("述职报告被退回修改：%(cycle)s"), body=("%(reason)s",)),
    "review_result": Message(
        title=_("述职评议考核结果：%(cycle)s"),
        body=(
            _("等次：%(grade)s；综合得分：%(score)s；排名：%(rank)s。"),
            Line("comment", _("点评意见：%(comment)s")),
        ),
        choices={"grade": GRADES},
    ),
    # rectification
    "task_created": Message(title=_("新的整改任务：%(title)s")),
    "task_returned": Message(title=_("整改任务被退回：%(title)s"), body=("%(reason)s",)),
    "task_accepted": Message(title=_("整改任务已验收销号：%(title)s")),
    # members
    "member_transferred_in": Message(
        title=_("%(name)s 的组织关系已从 %(source)s 转入本组织"),
        body=(_("请核对其党员信息，并安排参加组织生活。"),),
    ),
    # meetings
    "meeting_planned": Message(
        title=_("会议通知：%(kind)s“%(topic)s”"),
        body=(_("%(organization)s定于 %(when)s 在%(place)s召开%(kind)s，请准时参加；不能参加的请向主持人请假。"),),
        dates=("when",),
    ),
}


class UnknownMessage(KeyError):
    """A notification was written with a key the registry does not have."""


def _format_date(value: Any) -> Any:
    """An ISO date as the reader's language writes dates; an ISO datetime in local time, minute precision."""
    if not isinstance(value, str):
        return value
    try:
        if "T" in value or " " in value:
            moment = datetime.fromisoformat(value)
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return date_format(moment, DATETIME_FORMAT)
        return date_format(date.fromisoformat(value))
    except ValueError:
        return value


def _values(message: Message, params: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {name: MISSING if value is None else value for name, value in params.items()}
    for name in message.dates:
        if name in values:
            values[name] = _format_date(values[name])
    for name, table in message.choices.items():
        if name in values:
            values[name] = table[values[name]] % values
    return values


def render(key: str, params: Mapping[str, Any]) -> tuple[str, str]:
    """(title, body) of a keyed notification in the active language.

    Raises UnknownMessage for a key the registry lacks, KeyError when a placeholder has no parameter.
    """
    message = MESSAGES.get(key)
    if message is None:
        raise UnknownMessage(key)
    values = _values(message, params)
    title = str(message.title % values)
    lines = []
    for line in message.body:
        if isinstance(line, Line):
            if not params.get(line.when):
                continue
            line = line.template
        lines.append(str(line % values))
    return title, "\n".join(lines)
