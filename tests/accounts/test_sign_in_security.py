"""Sign-in security: lockout, password policy, the forced password change, session limits, the sign-in log."""

from __future__ import annotations

import getpass
import importlib
import logging
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.apps import apps as django_apps
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.test import Client
from django.urls import NoReverseMatch, get_resolver, reverse
from django.utils import timezone

from accounts import security
from accounts.importing import organizations_import
from accounts.models import User
from foundation.client import client_address
from tests.conftest import Tree
from tests.factories import TEST_PASSWORD, UserFactory

GENERIC = "登录名或密码不正确"
HERE = "10.0.0.1"
ELSEWHERE = "10.0.0.2"


def sign_in(client: Client, username: str, password: str, address: str = HERE, **extra: Any):  # type: ignore[no-untyped-def]
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def fail_times(client: Client, username: str, times: int, address: str = HERE) -> None:
    for _ in range(times):
        sign_in(client, username, "wrong-Password-1", address)


# Lockout


def test_sixth_attempt_is_refused_even_with_the_right_password(client: Client, people: SimpleNamespace) -> None:
    fail_times(client, "branch_secretary", 5)
    response = sign_in(client, "branch_secretary", TEST_PASSWORD)
    assert response.status_code == 429
    assert GENERIC in response.content.decode()
    assert SESSION_KEY not in client.session


def test_four_failures_do_not_lock_and_success_resets_the_count(client: Client, people: SimpleNamespace) -> None:
    fail_times(client, "branch_secretary", 4)
    assert sign_in(client, "branch_secretary", TEST_PASSWORD).status_code == 302
    client.logout()
    fail_times(client, "branch_secretary", 4)
    assert sign_in(client, "branch_secretary", TEST_PASSWORD).status_code == 302


def test_lockout_is_per_account_and_address(client: Client, people: SimpleNamespace) -> None:
    fail_times(client, "branch_secretary", 5)
    assert sign_in(client, "branch_secretary", TEST_PASSWORD, ELSEWHERE).status_code == 302
    client.logout()
    assert sign_in(client, "committee_secretary", TEST_PASSWORD, HERE).status_code == 302


def test_lockout_ends_after_the_cool_off(client: Client, people: SimpleNamespace, settings: Any) -> None:
    fail_times(client, "branch_secretary", 5)
    assert sign_in(client, "branch_secretary", TEST_PASSWORD).status_code == 429
    earlier = timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES + 1)
    AccessAttempt.objects.update(attempt_time=earlier)
    assert sign_in(client, "branch_secretary", TEST_PASSWORD).status_code == 302


def test_lockout_limit_and_time_come_from_settings(client: Client, people: SimpleNamespace, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    fail_times(client, "branch_secretary", 2)
    assert sign_in(client, "branch_secretary", TEST_PASSWORD).status_code == 429


def test_unknown_login_wrong_password_and_lockout_read_the_same(client: Client, people: SimpleNamespace) -> None:
    def message(response) -> str:  # type: ignore[no-untyped-def]
        body = response.content.decode()
        start = body.index('role="alert"')
        return body[start : body.index("</div>", start)]

    unknown = sign_in(client, "nobody-here", "wrong-Password-1")
    wrong = sign_in(client, "branch_secretary", "wrong-Password-1")
    fail_times(client, "nobody-at-all", 5)
    locked_unknown = sign_in(client, "nobody-at-all", "wrong-Password-1")
    fail_times(client, "branch_secretary", 4)
    locked_known = sign_in(client, "branch_secretary", TEST_PASSWORD)
    assert unknown.status_code == wrong.status_code == 200
    assert locked_unknown.status_code == locked_known.status_code == 429
    assert GENERIC in message(unknown)
    assert message(unknown) == message(wrong) == message(locked_unknown) == message(locked_known)


def test_forwarded_address_counts_only_behind_a_trusted_proxy(settings: Any, rf: Any) -> None:
    request = rf.get("/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="1.1.1.1, 2.2.2.2")
    settings.TRUST_X_FORWARDED_FOR = False
    assert client_address(request) == "10.9.9.9"
    settings.TRUST_X_FORWARDED_FOR = True
    assert client_address(request) == "2.2.2.2"


# Password policy


def change_password(client: Client, new: str):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": new, "new_password2": new},
    )


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Ab1!x", "至少"),  # too short (Django: 密码长度太短)
        ("abcdefghij1234", "四类中的至少 3 类"),  # two classes
        ("Lisiqiang-1", "太相似"),  # like the login
        ("Password123", ""),  # common
    ],
)
def test_weak_passwords_are_refused(client: Client, db: None, password: str, reason: str) -> None:
    person = UserFactory(username="lisiqiang", full_name="李四强")
    client.force_login(person)
    response = change_password(client, password)
    assert response.status_code == 200
    assert reason in response.content.decode()
    person.refresh_from_db()
    assert person.check_password(TEST_PASSWORD)


def test_a_good_password_is_accepted(client: Client, db: None) -> None:
    person = UserFactory(username="lisiqiang", full_name="李四强")
    client.force_login(person)
    response = change_password(client, "Qing-Shan-2026")
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password("Qing-Shan-2026")


# The forced password change


def must_change(person: User) -> bool:
    return User.objects.get(pk=person.pk).must_change_password


def sent_to_change_the_password(client: Client, url: str, method: str = "get") -> bool:
    response = getattr(client, method)(url)
    return response.status_code == 302 and response["Location"] == reverse("password_change")


def test_a_person_who_must_change_the_password_does_so_before_anything_else(client: Client, db: None) -> None:
    person = UserFactory(username="imported", must_change_password=True)
    assert sign_in(client, "imported", TEST_PASSWORD).status_code == 302
    assert sent_to_change_the_password(client, reverse("home"))
    assert sent_to_change_the_password(client, reverse("organization_tree"))
    page = client.get(reverse("password_change"), follow=True)
    assert "您的密码由管理员设置，请先修改为只有您自己知道的密码" in page.content.decode()

    assert change_password(client, "Qing-Shan-2026").status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert not must_change(person)
    client.post(reverse("logout"))
    sign_in(client, "imported", "Qing-Shan-2026")
    assert client.get(reverse("home")).status_code == 200


def test_signing_out_and_in_again_does_not_skip_the_change(client: Client, people: SimpleNamespace) -> None:
    administrator = Client()
    administrator.force_login(people.admin)
    response = administrator.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newcomer",
            "full_name": "新来的",
            "phone": "",
            "usable_password": "true",
            "password1": TEST_PASSWORD,
            "password2": TEST_PASSWORD,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    assert sign_in(client, "newcomer", TEST_PASSWORD).status_code == 302
    client.post(reverse("logout"))
    assert sign_in(client, "newcomer", TEST_PASSWORD).status_code == 302
    assert sent_to_change_the_password(client, reverse("home"))
    client.post(reverse("logout"))
    assert sign_in(client, "newcomer", TEST_PASSWORD).status_code == 302
    assert sent_to_change_the_password(client, reverse("notifications"))


def pages_without_arguments() -> list[str]:
    """Every named page of the site that takes no argument."""
    urls = set()
    for name in get_resolver().reverse_dict:
        if isinstance(name, str):
            try:
                urls.add(reverse(name))
            except NoReverseMatch:
                continue
    return sorted(urls)


def test_every_page_but_the_password_page_sign_in_and_out_sends_there(client: Client, tree: Tree) -> None:
    person = UserFactory(username="imported", must_change_password=True)
    client.force_login(person)
    allowed = {reverse(name) for name in ("password_change", "login", "logout", "set_language", "healthz")}
    pages = pages_without_arguments()
    assert len(pages) > 20
    for url in pages:
        if url not in allowed:
            assert sent_to_change_the_password(client, url), url
    for url in ("/admin/", reverse("admin:accounts_user_changelist"), reverse("notifications_read_all")):
        assert sent_to_change_the_password(client, url, "post" if "read-all" in url else "get"), url
    for url in (reverse("organization_detail", args=[tree.branch.pk]), "/no-such-page/"):
        assert sent_to_change_the_password(client, url), url

    assert client.get(reverse("password_change")).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200
    assert client.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    assert client.post(reverse("logout"))["Location"] == reverse("login")
    assert SESSION_KEY not in client.session


def test_someone_who_owes_no_change_is_not_sent_to_the_password_page(client: Client, people: SimpleNamespace) -> None:
    sign_in(client, "branch_secretary", TEST_PASSWORD)
    assert client.get(reverse("home")).status_code == 200


def test_sign_out_stays_possible_before_the_change(client: Client, db: None) -> None:
    UserFactory(username="imported", must_change_password=True)
    sign_in(client, "imported", TEST_PASSWORD)
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")
    assert SESSION_KEY not in client.session


IMPORTED = [
    ("组织.csv", "组织代码,名称,类别,领域,上级组织代码\nX,新县委,党委,,\n".encode()),
    ("人员.csv", "登录名,姓名,手机,组织代码,职务\nzhang,张三,13800000001,X,书记\n".encode()),
]


def test_an_imported_person_must_change_the_password(db: None) -> None:
    organizations_import(files=IMPORTED)
    assert User.objects.get(username="zhang").must_change_password


def test_an_imported_person_given_a_password_in_the_admin_changes_it_first(
    client: Client, people: SimpleNamespace
) -> None:
    organizations_import(files=IMPORTED)
    imported = User.objects.get(username="zhang")
    assert not imported.has_usable_password()
    administrator = Client()
    administrator.force_login(people.admin)
    response = administrator.post(
        reverse("admin:auth_user_password_change", args=[imported.pk]),
        {"password1": "Given-By-Admin-1", "password2": "Given-By-Admin-1"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert must_change(imported)
    assert sign_in(client, "zhang", "Given-By-Admin-1").status_code == 302
    assert sent_to_change_the_password(client, reverse("home"))


def test_an_administrators_reset_in_the_admin_must_be_changed(client: Client, people: SimpleNamespace) -> None:
    administrator = Client()
    administrator.force_login(people.admin)
    response = administrator.post(
        reverse("admin:auth_user_password_change", args=[people.branch_secretary.pk]),
        {"usable_password": "true", "password1": "Reset-By-Admin-1", "password2": "Reset-By-Admin-1"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert must_change(people.branch_secretary)
    assert sign_in(client, "branch_secretary", "Reset-By-Admin-1").status_code == 302
    assert sent_to_change_the_password(client, reverse("home"))


def test_a_password_set_at_the_shell_must_be_changed(people: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": "Shell-Set-2026")
    output = StringIO()
    call_command("changepassword", "branch_secretary", stdout=output)
    assert "branch_secretary" in output.getvalue()
    person = User.objects.get(pk=people.branch_secretary.pk)
    assert person.check_password("Shell-Set-2026")
    assert person.must_change_password


def test_the_admins_own_password_page_is_the_password_page(client: Client, people: SimpleNamespace) -> None:
    client.force_login(people.admin)
    response = client.get("/admin/password_change/")
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change")


def test_who_never_signed_in_owes_the_change_after_the_migration(db: None) -> None:
    migration = importlib.import_module("accounts.migrations.0005_must_change_password")
    never = UserFactory(last_login=None)
    before = UserFactory()
    migration.mark_never_signed_in(django_apps, None)
    assert must_change(never)
    assert not must_change(before)


# Session limits


def age_session(client: Client, key: str, seconds: int) -> None:
    session = client.session
    session[key] = session[key] - seconds
    session.save()


def test_idle_session_ends_with_a_message(client: Client, people: SimpleNamespace, settings: Any) -> None:
    client.force_login(people.branch_secretary)
    assert client.get(reverse("home")).status_code == 200
    age_session(client, security.LAST_ACTIVITY, settings.SESSION_IDLE_MINUTES * 60 + 1)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert SESSION_KEY not in client.session
    assert "您已长时间未操作，请重新登录" in client.get(response["Location"]).content.decode()


def test_activity_keeps_the_session_alive(client: Client, people: SimpleNamespace, settings: Any) -> None:
    client.force_login(people.branch_secretary)
    age_session(client, security.LAST_ACTIVITY, settings.SESSION_IDLE_MINUTES * 60 - 60)
    assert client.get(reverse("home")).status_code == 200
    age_session(client, security.LAST_ACTIVITY, 120)
    assert client.get(reverse("home")).status_code == 200


def test_session_ends_after_the_absolute_limit_even_when_active(
    client: Client, people: SimpleNamespace, settings: Any
) -> None:
    client.force_login(people.branch_secretary)
    age_session(client, security.SIGNED_IN_AT, settings.SESSION_ABSOLUTE_HOURS * 3600 + 1)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert SESSION_KEY not in client.session


def test_session_cookie_lasts_no_longer_than_the_absolute_limit(settings: Any) -> None:
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_ABSOLUTE_HOURS * 3600


# The sign-in log


def test_sign_in_sign_out_and_failure_are_logged_with_the_address_never_the_password(
    client: Client, people: SimpleNamespace, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="accounts.security")
    sign_in(client, "branch_secretary", "wrong-Password-1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    sign_in(client, "branch_secretary", TEST_PASSWORD)
    client.post(reverse("logout"), REMOTE_ADDR=HERE)
    lines = [record for record in caplog.records if record.name == "accounts.security"]
    text = [record.getMessage() for record in lines]
    assert text == [
        f"sign-in failed user=branch_secretary address={HERE}",
        f"sign-in user=branch_secretary address={HERE}",
        f"sign-out user=branch_secretary address={HERE}",
    ]
    assert all(record.created for record in lines)  # the handler's formatter adds the time
    everything = caplog.text
    assert "wrong-Password-1" not in everything
    assert TEST_PASSWORD not in everything
