"""Notifications are worded when read, in the reader's language: the registry of message keys, the pages, mail
and the language a person chose in the header."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from notifications import messages
from notifications.models import Notification
from notifications.services import Draft, notify, notify_many
from reviews.models import Grade
from tests.clients import signed_in

ROOT = Path(__file__).resolve().parents[2]
APPS = ["accounts", "meetings", "members", "notifications", "rectification", "reminders", "responsibility", "reviews"]
CJK = re.compile(r"[\u4e00-\u9fff]")

REMINDER = {
    "content": "按时报送党费收缴情况",
    "cycle": "2026 年度述职评议",
    "organization": "一村党支部",
    "title": "规范“三会一课”记录",
    "kind": "支部委员会",
    "done": 0,
    "required": 1,
    "days": 3,
    "date": "2026-12-03",
    "person": "张三",
}

# What each caller passes (the services that write them are below in test_every_key_a_caller_writes_is_registered).
SAMPLES: dict[str, list[dict[str, Any]]] = {
    **{
        key: [
            {**REMINDER, "subject": subject, "advice": advice, "days": days}
            for subject, advice, days in itertools.product(messages.REMINDER_SUBJECTS, messages.REMINDER_ADVICE, (1, 7))
        ]
        for key in ("reminder.due_in", "reminder.due_today", "reminder.overdue")
    },
    "list_returned": [{"year": 2026, "comment": "请补充书记第一责任人事项。"}],
    "record_returned": [{"content": "召开支部委员会", "reason": "请补充会议记录"}],
    "report_submitted": [{"organization": "一村党支部"}],
    "report_returned": [{"cycle": "2026 年度述职评议", "reason": "问题查摆不具体"}],
    "review_result": [
        {"cycle": "2026 年度述职评议", "grade": grade, "score": score, "rank": rank, "comment": comment}
        for grade, score, rank, comment in [("good", "91.50", 1, "基础扎实。"), ("pending", None, None, "")]
    ],
    "task_created": [{"title": "规范台账", "reason": ""}],
    "task_returned": [{"title": "规范台账", "reason": "佐证不足"}],
    "task_accepted": [{"title": "规范台账", "reason": ""}],
    "member_transferred_in": [{"name": "李四", "source": "二村党支部"}],
    "meeting_planned": [
        {
            "kind": "支部委员会",
            "topic": "学习贯彻",
            "organization": "一村党支部",
            "when": "2026-12-05T01:30:00+00:00",
            "place": "村部会议室",
        }
    ],
}


def test_every_registered_message_has_the_parameters_its_callers_pass() -> None:
    assert set(SAMPLES) == set(messages.MESSAGES)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("key", sorted(messages.MESSAGES))
def test_each_message_renders_in_both_languages_with_no_placeholder_left(key: str, language: str) -> None:
    with translation.override(language):
        for params in SAMPLES[key]:
            title, body = messages.render(key, params)
            assert title.strip()
            assert "%(" not in title + body
            assert "None" not in title + body


def test_every_key_a_caller_writes_is_registered() -> None:
    written: set[str] = set()
    for path in itertools.chain.from_iterable((ROOT / app).rglob("*.py") for app in APPS):
        text = path.read_text(encoding="utf-8")
        written.update(re.findall(r'\bkey="([\w.]+)"', text))
        # rectification's notices name their message by their kind.
        written.update(re.findall(r'_tell_responsible\(\w+, "(\w+)"', text))
        # reminders.sweep chooses among its three keys.
        written.update(re.findall(r'"(reminder\.\w+)" if days', text))
    written.update(["reminder.overdue"])
    assert written >= {"report_returned", "task_created", "meeting_planned", "reminder.due_in", "reminder.due_today"}
    assert written <= set(messages.MESSAGES)


def test_the_grades_of_a_result_are_worded_as_the_reviews_name_them() -> None:
    assert {key: str(label) for key, label in messages.GRADES.items()} == {
        value: str(label) for value, label in Grade.choices
    }


def test_a_dated_parameter_is_written_as_the_readers_language_writes_dates() -> None:
    params = SAMPLES["meeting_planned"][0]
    with translation.override("zh-hans"):
        assert "2026-12-05 09:30" in messages.render("meeting_planned", params)[1]  # Asia/Shanghai
    reminder = {**REMINDER, "subject": "item", "advice": "before"}
    with translation.override("zh-hans"):
        assert "2026年12月3日" in messages.render("reminder.due_in", reminder)[1]
    with translation.override("en"):
        assert "Dec. 3, 2026" in messages.render("reminder.due_in", reminder)[1]


def test_a_writer_with_an_unknown_key_or_a_missing_parameter_fails_at_once(people: SimpleNamespace) -> None:
    with pytest.raises(messages.UnknownMessage):
        notify(recipient=people.branch_member, kind="x", key="no.such.message")
    with pytest.raises(KeyError):
        notify_many([Draft(recipient=people.branch_member, kind="x", key="report_returned", params={"cycle": "甲"})])
    assert not Notification.objects.exists()


def test_an_older_row_without_a_key_shows_its_stored_text(people: SimpleNamespace) -> None:
    older = Notification.objects.create(
        recipient=people.branch_member, kind="r", stored_title="旧的提醒", stored_body="原文"
    )
    with translation.override("en"):
        assert (older.title, older.body) == ("旧的提醒", "原文")


# Pages, mail and the language switch ---------------------------------------------------------------------


def _centre(person: Any, language: str) -> str:
    client = signed_in(person, Client(HTTP_ACCEPT_LANGUAGE=language))
    return client.get(reverse("notifications")).content.decode()


def test_an_english_reader_sees_english_for_a_notice_a_chinese_request_caused(people: SimpleNamespace) -> None:
    with translation.override("zh-hans"):
        notify(
            recipient=people.branch_member,
            kind="report_returned",
            key="report_returned",
            params=SAMPLES["report_returned"][0],
        )
    page = _centre(people.branch_member, "en")
    assert "Duty report returned for revision: 2026 年度述职评议" in page
    assert "述职报告被退回修改" not in page


def test_a_chinese_reader_sees_chinese_for_a_notice_an_english_request_caused(people: SimpleNamespace) -> None:
    with translation.override("en"):
        notify(recipient=people.branch_member, kind="task_created", key="task_created", params={"title": "规范台账"})
    page = _centre(people.branch_member, "zh-hans")
    assert "新的整改任务：规范台账" in page
    assert "New rectification task" not in page


def test_mail_speaks_the_recipients_language_not_the_one_of_the_request(
    people: SimpleNamespace, django_capture_on_commit_callbacks: Any
) -> None:
    people.branch_member.language = "en"
    people.branch_member.save(update_fields=["language"])
    with translation.override("zh-hans"), django_capture_on_commit_callbacks(execute=True):
        notify(recipient=people.branch_member, kind="task_created", key="task_created", params={"title": "规范台账"})
        notify(recipient=people.branch_secretary, kind="task_created", key="task_created", params={"title": "规范台账"})
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects[people.branch_member.email] == "[Party-building reminder] New rectification task: 规范台账"
    assert subjects[people.branch_secretary.email] == "【党建提醒】新的整改任务：规范台账"


def test_switching_language_in_the_header_is_remembered_for_mail(people: SimpleNamespace) -> None:
    client = signed_in(people.branch_member)
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert response.status_code == 302
    people.branch_member.refresh_from_db()
    assert people.branch_member.language == "en"
    client.post(reverse("set_language"), {"language": "xx", "next": reverse("home")})
    people.branch_member.refresh_from_db()
    assert people.branch_member.language == "en"
    client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("home")})
    people.branch_member.refresh_from_db()
    assert people.branch_member.language == "zh-hans"


def test_the_language_switch_still_works_signed_out() -> None:
    response = Client().post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
