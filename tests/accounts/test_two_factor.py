"""Two-factor sign-in: required of administrators and committee roles when TWO_FACTOR_REQUIRED is on,
optional for branch roles, with single-use recovery codes, throttled and logged."""

from __future__ import annotations

import base64
import logging
import re
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services, two_factor
from accounts.models import Organization, Position, User
from tests.conftest import Tree
from tests.factories import TEST_PASSWORD, OrganizationFactory, UserFactory

HERE = "10.0.0.7"
WRONG_CODE = "验证码不正确"
DEMO_NOTE = "演示模式：两步验证未强制启用"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test-results"


@pytest.fixture
def required(settings: Any) -> None:
    settings.TWO_FACTOR_REQUIRED = True


def sign_in(client: Client, person: User):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("login"), {"username": person.username, "password": TEST_PASSWORD}, REMOTE_ADDR=HERE, follow=True
    )


def authenticator_code(device: TOTPDevice) -> str:
    """What the person's app shows now. A code is accepted only once, so when this time step's code
    is used up the next step's (still inside the tolerance) stands in for "half a minute later"."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time = time.time() + (device.last_t + 1 - totp.t()) * device.step
    return f"{totp.token():0{device.digits}d}"


def enrol(client: Client) -> list[str]:
    """Opens the enrolment page, confirms with the first code, returns the recovery codes shown."""
    client.get(reverse("two_factor_enrol"))
    device = TOTPDevice.objects.get(confirmed=False)
    response = client.post(reverse("two_factor_enrol"), {"code": authenticator_code(device)}, REMOTE_ADDR=HERE)
    assert response.status_code == 200
    return re.findall(r'<li class="code">([a-z2-7]{4}-[a-z2-7]{4})</li>', response.content.decode())


def enrolled(person: User) -> TOTPDevice:
    """Sets up an authenticator and recovery codes for the person directly."""
    device = two_factor.authenticator_start(user=person)
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    device.refresh_from_db()
    return device


def verify(client: Client, code: str, next_url: str = "/"):  # type: ignore[no-untyped-def]
    return client.post(reverse("two_factor_verify"), {"code": code, "next": next_url}, REMOTE_ADDR=HERE)


def redirects_to(response: Any, name: str) -> bool:
    return response.status_code == 302 and urlsplit(response["Location"]).path == reverse(name)


# Who must use it


@pytest.mark.parametrize("who", ["committee_secretary", "committee_staff", "grantee", "admin"])
def test_committee_roles_and_administrators_are_sent_to_enrolment_before_anything_else(
    client: Client, people: SimpleNamespace, required: None, who: str
) -> None:
    response = sign_in(client, getattr(people, who))
    assert response.redirect_chain[-1][0].startswith(reverse("two_factor_enrol"))
    for path in [reverse("home"), reverse("organization_tree"), reverse("password_change"), "/admin/"]:
        assert redirects_to(client.get(path), "two_factor_enrol"), path
    assert client.get(reverse("healthz")).status_code == 200


def test_administration_stays_closed_until_the_administrator_enrols(
    client: Client, people: SimpleNamespace, required: None
) -> None:
    sign_in(client, people.admin)
    blocked = client.get("/admin/accounts/user/")
    assert redirects_to(blocked, "two_factor_enrol")
    assert parse_qs(urlsplit(blocked["Location"]).query)["next"] == ["/admin/accounts/user/"]
    enrol(client)
    assert client.get("/admin/accounts/user/").status_code == 200


def test_branch_secretary_and_plain_members_are_not_forced(
    client: Client, people: SimpleNamespace, required: None
) -> None:
    for person in [people.branch_secretary, people.committee_party_member]:
        response = sign_in(client, person)
        assert response.redirect_chain[-1][0] == reverse("home")
        assert response.status_code == 200
        client.post(reverse("logout"))


def test_nobody_is_forced_in_demo_mode(client: Client, people: SimpleNamespace) -> None:
    response = sign_in(client, people.admin)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert client.get("/admin/").status_code == 200


def test_someone_made_a_committee_member_after_signing_in_is_sent_to_enrolment(
    client: Client, people: SimpleNamespace, tree: Tree, required: None
) -> None:
    sign_in(client, people.branch_member)
    assert client.get(reverse("home")).status_code == 200
    services.position_assign(person=people.branch_member, organization=tree.township, role=Position.Role.STAFF)
    assert redirects_to(client.get(reverse("home")), "two_factor_enrol")


# Enrolment


def test_enrolment_page_shows_the_qr_code_as_an_image_the_policy_allows_and_the_key_as_text(
    client: Client, people: SimpleNamespace, required: None
) -> None:
    sign_in(client, people.committee_secretary)
    body = client.get(reverse("two_factor_enrol")).content.decode()
    device = TOTPDevice.objects.get(user=people.committee_secretary)
    # img-src allows data:, and an image runs no script.
    source = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', body)
    assert source is not None
    assert base64.b64decode(source.group(1)).lstrip().startswith(b"<?xml")
    secret = two_factor.secret_of(device)
    assert two_factor.secret_for_reading(device).replace(" ", "") == secret
    assert two_factor.secret_for_reading(device) in body
    uri = two_factor.provisioning_uri(device)
    assert uri.startswith("otpauth://totp/")
    assert f"secret={secret}" in uri
    assert "issuer=" in uri
    # A reload shows the same key: an app that has scanned it keeps working.
    client.get(reverse("two_factor_enrol"))
    assert TOTPDevice.objects.filter(user=people.committee_secretary).count() == 1


def test_enrolment_with_a_wrong_code_fails_with_a_message(
    client: Client, people: SimpleNamespace, required: None
) -> None:
    sign_in(client, people.committee_secretary)
    client.get(reverse("two_factor_enrol"))
    response = client.post(reverse("two_factor_enrol"), {"code": "000000"}, REMOTE_ADDR=HERE)
    assert WRONG_CODE in response.content.decode()
    assert not TOTPDevice.objects.filter(confirmed=True).exists()
    assert redirects_to(client.get(reverse("home")), "two_factor_enrol")


def test_enrolment_with_the_right_code_shows_ten_recovery_codes_once_and_opens_the_site(
    client: Client, people: SimpleNamespace, required: None
) -> None:
    sign_in(client, people.committee_secretary)
    codes = enrol(client)
    assert len(set(codes)) == two_factor.RECOVERY_CODE_COUNT == 10
    assert TOTPDevice.objects.get(user=people.committee_secretary).confirmed
    assert client.get(reverse("home")).status_code == 200
    settings_page = client.get(reverse("two_factor_settings")).content.decode()
    assert "状态：已启用" in settings_page
    assert not any(code in settings_page for code in codes)


def test_a_new_authenticator_replaces_the_old_one(client: Client, people: SimpleNamespace, required: None) -> None:
    old = enrolled(people.committee_secretary)
    sign_in(client, people.committee_secretary)
    verify(client, authenticator_code(old))
    enrol(client)
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert TOTPDevice.objects.filter(user=people.committee_secretary, confirmed=True).count() == 1


# Signing in with the second factor


def test_next_sign_in_asks_for_the_code_and_the_right_code_lets_through(
    client: Client, people: SimpleNamespace, required: None
) -> None:
    sign_in(client, people.admin)
    enrol(client)
    client.post(reverse("logout"))

    response = sign_in(client, people.admin)
    assert response.redirect_chain[-1][0].startswith(reverse("two_factor_verify"))
    assert "输入动态验证码" in response.content.decode()
    assert redirects_to(client.get(reverse("home")), "two_factor_verify")
    assert redirects_to(client.get("/admin/"), "two_factor_verify")
    # The enrolment page is no way around the code either.
    assert redirects_to(client.get(reverse("two_factor_enrol")), "two_factor_verify")

    device = TOTPDevice.objects.get(user=people.admin)
    passed = verify(client, authenticator_code(device), next_url="/admin/")
    assert passed.status_code == 302
    assert passed["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get(reverse("home")).status_code == 200


def test_a_wrong_code_is_refused_with_a_message(client: Client, people: SimpleNamespace) -> None:
    enrolled(people.branch_secretary)
    sign_in(client, people.branch_secretary)
    response = verify(client, "123456")
    assert response.status_code == 200
    assert WRONG_CODE in response.content.decode()
    assert redirects_to(client.get(reverse("home")), "two_factor_verify")


def test_a_recovery_code_works_once_and_not_twice(client: Client, people: SimpleNamespace, required: None) -> None:
    sign_in(client, people.committee_secretary)
    codes = enrol(client)
    client.post(reverse("logout"))

    sign_in(client, people.committee_secretary)
    response = client.post(
        reverse("two_factor_verify"), {"code": codes[0].upper().replace("-", " "), "next": "/"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert "还剩 9 个" in response.content.decode()
    client.post(reverse("logout"))

    sign_in(client, people.committee_secretary)
    refused = verify(client, codes[0])
    assert WRONG_CODE in refused.content.decode()
    assert redirects_to(client.get(reverse("home")), "two_factor_verify")


def test_regenerated_recovery_codes_replace_the_old_ones(
    client: Client, people: SimpleNamespace, required: None
) -> None:
    sign_in(client, people.committee_secretary)
    old_codes = enrol(client)
    response = client.post(reverse("two_factor_recovery_codes"))
    new_codes = re.findall(r'<li class="code">([a-z2-7]{4}-[a-z2-7]{4})</li>', response.content.decode())
    assert len(new_codes) == 10
    assert not set(new_codes) & set(old_codes)
    assert response["Cache-Control"] == "no-store"
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert stored == {two_factor.stored_recovery_code(code.replace("-", "")) for code in new_codes}


def test_the_database_keeps_no_recovery_code_only_its_keyed_digest(
    client: Client, people: SimpleNamespace, required: None, settings: Any
) -> None:
    sign_in(client, people.committee_secretary)
    codes = [code.replace("-", "") for code in enrol(client)]
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert len(stored) == 10
    assert all(re.fullmatch(r"[0-9a-f]{16}", token) for token in stored)
    assert not stored & set(codes)
    # A stolen copy of the table is no code: typed in, a digest is refused.
    client.post(reverse("logout"))
    sign_in(client, people.committee_secretary)
    assert WRONG_CODE in verify(client, sorted(stored)[0]).content.decode()
    StaticDevice.objects.update(throttling_failure_count=0, throttling_failure_timestamp=None)  # time passes

    # A new SECRET_KEY with the old one among the fallbacks: codes made under it still work, once.
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-key-" + "x" * 50
    settings.SECRET_KEY_FALLBACKS = [old_key]
    response = client.post(reverse("two_factor_verify"), {"code": codes[1], "next": "/"}, REMOTE_ADDR=HERE)
    assert response.status_code == 302
    assert StaticToken.objects.count() == 9
    # Without the fallback the old codes no longer match.
    settings.SECRET_KEY_FALLBACKS = []
    client.post(reverse("logout"))
    sign_in(client, people.committee_secretary)
    assert WRONG_CODE in verify(client, codes[2]).content.decode()


def test_the_migration_replaces_codes_stored_as_read_by_their_digests(people: SimpleNamespace) -> None:
    from importlib import import_module

    from django.apps import apps

    migration = import_module("accounts.migrations.0004_recovery_code_digests")
    device = StaticDevice.objects.create(user=people.committee_secretary, name="recovery codes", confirmed=True)
    StaticToken.objects.create(device=device, token="abcd2345")
    digest = two_factor.stored_recovery_code("efgh6723")
    StaticToken.objects.create(device=device, token=digest)

    migration.digest_stored_codes(apps, None)

    assert set(StaticToken.objects.values_list("token", flat=True)) == {
        two_factor.stored_recovery_code("abcd2345"),
        digest,  # already a digest: left as it is
    }
    two_factor.two_factor_verify(user=people.committee_secretary, code="abcd-2345")
    assert StaticToken.objects.count() == 1


def test_the_code_comes_before_the_forced_password_change(
    client: Client, people: SimpleNamespace, required: None
) -> None:
    User.objects.filter(pk=people.committee_secretary.pk).update(must_change_password=True)
    response = sign_in(client, people.committee_secretary)
    assert response.redirect_chain[-1][0].startswith(reverse("two_factor_enrol"))
    assert redirects_to(client.get(reverse("password_change")), "two_factor_enrol")
    enrol(client)
    assert redirects_to(client.get(reverse("home")), "password_change")


def test_someone_whose_device_an_administrator_removed_is_sent_to_set_up_a_new_one(
    client: Client, people: SimpleNamespace, required: None
) -> None:
    enrolled(people.committee_secretary)
    sign_in(client, people.committee_secretary)
    TOTPDevice.objects.filter(user=people.committee_secretary).delete()
    client.get(reverse("two_factor_verify"))
    assert redirects_to(client.get(reverse("home")), "two_factor_enrol")


def test_after_the_code_only_a_local_address_is_followed(client: Client, people: SimpleNamespace) -> None:
    device = enrolled(people.branch_secretary)
    sign_in(client, people.branch_secretary)
    response = verify(client, authenticator_code(device), next_url="https://evil.example.com/")
    assert response["Location"] == reverse("home")


# Throttling and the log


def test_throttling_is_on_for_authenticators_and_recovery_codes(db: None) -> None:
    assert TOTPDevice().throttling_enabled
    assert StaticDevice().throttling_enabled


def test_after_repeated_wrong_codes_even_the_right_code_waits(
    client: Client, people: SimpleNamespace, required: None
) -> None:
    device = enrolled(people.committee_secretary)
    sign_in(client, people.committee_secretary)
    for wrong in ["111111", "222222", "333333"]:
        verify(client, wrong)
    device.refresh_from_db()
    assert device.throttling_failure_count >= 1
    # As if the last wrong code had come just now, however slow this machine is.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=timezone.now())
    refused = verify(client, authenticator_code(device))
    assert "错误次数过多" in refused.content.decode()
    assert redirects_to(client.get(reverse("home")), "two_factor_verify")

    waited = timezone.now() - timedelta(seconds=2**device.throttling_failure_count)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=waited)
    assert verify(client, authenticator_code(device)).status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_failures_and_successes_are_logged_with_the_address(
    client: Client, people: SimpleNamespace, required: None, caplog: pytest.LogCaptureFixture
) -> None:
    device = enrolled(people.committee_secretary)
    sign_in(client, people.committee_secretary)
    with caplog.at_level(logging.INFO, logger="accounts.security"):
        verify(client, "999999")
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None, throttling_failure_count=0)
        verify(client, authenticator_code(device))
    lines = [record.getMessage() for record in caplog.records if record.name == "accounts.security"]
    assert f"two-factor verification failed user=committee_secretary address={HERE}" in lines
    assert f"two-factor verified user=committee_secretary address={HERE} method=authenticator" in lines


# The person's own page


def test_disabling_is_refused_when_it_is_required(client: Client, people: SimpleNamespace, required: None) -> None:
    sign_in(client, people.committee_secretary)
    enrol(client)
    assert "关闭两步验证" not in client.get(reverse("two_factor_settings")).content.decode()
    response = client.post(reverse("two_factor_disable"), {"confirmation": TEST_PASSWORD}, follow=True)
    assert "不能关闭" in response.content.decode()
    assert TOTPDevice.objects.filter(user=people.committee_secretary, confirmed=True).exists()


def test_a_branch_secretary_may_enrol_and_disable_with_the_password(
    client: Client, people: SimpleNamespace, required: None
) -> None:
    sign_in(client, people.branch_secretary)
    assert "状态：未启用" in client.get(reverse("two_factor_settings")).content.decode()
    enrol(client)
    refused = client.post(reverse("two_factor_disable"), {"confirmation": "not-my-password"}, follow=True)
    assert "两步验证未关闭" in refused.content.decode()
    assert TOTPDevice.objects.filter(user=people.branch_secretary).exists()
    client.post(reverse("two_factor_disable"), {"confirmation": TEST_PASSWORD})
    assert not TOTPDevice.objects.filter(user=people.branch_secretary).exists()
    assert not StaticDevice.objects.filter(user=people.branch_secretary).exists()
    client.post(reverse("logout"))
    assert sign_in(client, people.branch_secretary).redirect_chain[-1][0] == reverse("home")


def test_the_menu_links_to_the_two_factor_page(client: Client, people: SimpleNamespace) -> None:
    client.force_login(people.branch_secretary)
    assert reverse("two_factor_settings") in client.get(reverse("home")).content.decode()


# The sign-in page


def test_demo_note_is_shown_only_when_two_factor_is_not_required(client: Client, db: None, settings: Any) -> None:
    settings.TWO_FACTOR_REQUIRED = False
    assert DEMO_NOTE in client.get(reverse("login")).content.decode()
    settings.TWO_FACTOR_REQUIRED = True
    assert DEMO_NOTE not in client.get(reverse("login")).content.decode()


def test_administrators_may_delete_a_device_but_never_read_its_key(client: Client, people: SimpleNamespace) -> None:
    device = enrolled(people.branch_secretary)
    codes = two_factor.recovery_codes_regenerate(user=people.branch_secretary)
    client.force_login(people.admin)
    change_page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk])).content.decode()
    assert device.key not in change_page
    for view in ["admin:otp_totp_totpdevice_config", "admin:otp_totp_totpdevice_qrcode"]:
        assert client.get(reverse(view, args=[device.pk])).status_code == 403
    static = StaticDevice.objects.get(user=people.branch_secretary)
    static_page = client.get(reverse("admin:otp_static_staticdevice_change", args=[static.pk])).content.decode()
    assert not any(code.replace("-", "") in static_page for code in codes)


# In a real browser


@pytest.mark.browser
def test_a_committee_secretary_enrols_on_a_phone_by_typing_the_key(  # type: ignore[no-untyped-def]
    live_server, phone, transactional_db, settings
) -> None:
    settings.TWO_FACTOR_REQUIRED = True
    township = OrganizationFactory(name="东湖镇党委", code="DH", kind=Organization.Kind.COMMITTEE)
    secretary = UserFactory(username="dh-secretary", full_name="王书记")
    services.position_assign(person=secretary, organization=township, role=Position.Role.SECRETARY)
    page = phone
    page.goto(f"{live_server.url}/")
    assert DEMO_NOTE not in page.locator("main").inner_text()
    page.get_by_label("登录名").fill("dh-secretary")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()

    page.get_by_role("heading", name="启用两步验证").wait_for()
    # The QR code is a data: image; the Content Security Policy lets it load.
    assert page.get_by_role("img", name="两步验证二维码").evaluate("image => image.naturalWidth") > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "two-factor-enrol-375.png"), full_page=True)

    typed_key = page.locator("#two-factor-secret").inner_text().replace(" ", "")
    key = base64.b32decode(typed_key + "=" * (-len(typed_key) % 8))
    totp = TOTP(key)
    page.get_by_label("动态验证码").fill(f"{totp.token():06d}")
    page.get_by_role("button", name="确认绑定").click()

    page.get_by_role("heading", name="恢复码").wait_for()
    assert page.locator(".recovery-codes li").count() == 10
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(SCREENSHOTS / "two-factor-recovery-codes-375.png"), full_page=True)
    page.get_by_role("link", name="我已保存，继续").click()
    page.get_by_role("heading", name="我的工作").wait_for()
