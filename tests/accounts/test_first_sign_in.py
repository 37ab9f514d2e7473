"""First sign-in: who may issue one-time codes, the codes' life (single use, expiry, voiding), the public
page's one answer for every wrong code, the printed slips, and the import template's round trip."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace

import openpyxl
import pytest
from django.contrib.auth.hashers import is_password_usable
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.first_sign_in import (
    CODE_VALID_DAYS,
    CodeRefused,
    normalized,
    sign_in_code_redeem,
    sign_in_codes_issue,
)
from accounts.first_sign_in_views import IMPORTED_PEOPLE
from accounts.import_template import RULES_SHEET, column_rules, import_template
from accounts.importing import COLUMNS, SHEET_NAMES, organizations_import
from accounts.models import FirstSignInCode, Position, User
from foundation.errors import DomainError
from tests.clients import signed_in
from tests.conftest import Tree
from tests.factories import UserFactory

NEW_PASSWORD = "Xin-Mima-2026!"
REFUSAL = "登录名或首次登录码不正确"


@pytest.fixture(autouse=True)
def _no_counted_failures() -> Iterator[None]:
    """The failure counts live in the cache, which outlives each test's rolled-back data."""
    cache.clear()
    yield
    cache.clear()


def newcomer(tree: Tree, username: str = "newcomer", role: str = Position.Role.MEMBER) -> User:
    """A person as the import leaves them: a position in the branch, no password, never signed in."""
    person = UserFactory(username=username, full_name="新来的", must_change_password=True, last_login=None)
    person.set_unusable_password()
    person.save()
    services.position_assign(person=person, organization=tree.branch, role=role)
    return person


def code_of(person: User, by: User) -> str:
    [slip] = sign_in_codes_issue(people=[person], by=by)
    return slip.code


def slips_on(page: str) -> dict[str, str]:
    """The codes a slips page prints, by login."""
    return dict(re.findall(r'data-username="([^"]+)".*?class="signin-slip-code">([A-Z0-9-]+)<', page, re.DOTALL))


def redeem(person: User, code: str, password: str = NEW_PASSWORD, address: str = "10.0.0.1") -> User:
    return sign_in_code_redeem(username=person.username, code=code, password=password, address=address)


# Who may issue ------------------------------------------------------------------------------------


def test_an_administrator_issues_for_anyone(tree: Tree, people: SimpleNamespace) -> None:
    slips = sign_in_codes_issue(people=[newcomer(tree), people.outsider, people.committee_secretary], by=people.admin)
    assert len(slips) == 3
    assert FirstSignInCode.objects.count() == 3


def test_a_committee_issues_for_the_people_of_its_subtree(tree: Tree, people: SimpleNamespace) -> None:
    person = newcomer(tree)
    [slip] = sign_in_codes_issue(people=[person], by=people.committee_staff)
    assert slip.organization == tree.branch
    row = FirstSignInCode.objects.get(person=person)
    assert row.issued_by == people.committee_staff
    assert row.organization == tree.branch


@pytest.mark.parametrize(
    "actor",
    ["branch_secretary", "branch_member", "committee_party_member", "grantee", "outsider"],
)
def test_people_who_keep_no_committee_issue_nothing(tree: Tree, people: SimpleNamespace, actor: str) -> None:
    person = newcomer(tree)
    with pytest.raises(DomainError, match="无权"):
        sign_in_codes_issue(people=[person], by=getattr(people, actor))
    assert not FirstSignInCode.objects.exists()


def test_a_sibling_committee_is_refused_and_nothing_is_written(tree: Tree, people: SimpleNamespace) -> None:
    sibling = UserFactory(username="sibling_secretary")
    services.position_assign(person=sibling, organization=tree.sibling_township, role=Position.Role.SECRETARY)
    ours = newcomer(tree)
    theirs = UserFactory(username="theirs")
    services.position_assign(person=theirs, organization=tree.sibling_branch, role=Position.Role.MEMBER)
    with pytest.raises(DomainError, match="无权"):
        # One person out of reach refuses the lot.
        sign_in_codes_issue(people=[theirs, ours], by=people.committee_secretary)
    assert not FirstSignInCode.objects.exists()
    assert len(sign_in_codes_issue(people=[theirs], by=sibling)) == 1


def test_a_committee_whose_position_ended_is_refused(tree: Tree, people: SimpleNamespace) -> None:
    person = newcomer(tree)
    services.position_end(position=Position.objects.get(person=people.committee_secretary))
    people.committee_secretary.refresh_from_db()
    with pytest.raises(DomainError, match="无权"):
        sign_in_codes_issue(people=[person], by=people.committee_secretary)
    assert not FirstSignInCode.objects.exists()


def test_a_person_whose_position_ended_is_out_of_the_committees_reach(tree: Tree, people: SimpleNamespace) -> None:
    person = newcomer(tree)
    services.position_end(position=Position.objects.get(person=person))
    with pytest.raises(DomainError, match="无权"):
        sign_in_codes_issue(people=[person], by=people.committee_secretary)


def test_a_committee_cannot_open_an_account_that_reaches_beyond_it(tree: Tree, people: SimpleNamespace) -> None:
    # The county secretary also sits in one of the township's branches; an administrator; a county grantee.
    county = newcomer(tree, "county_too")
    services.position_assign(person=county, organization=tree.county, role=Position.Role.SECRETARY)
    admin_in_branch = newcomer(tree, "admin_in_branch")
    admin_in_branch.is_superuser = True
    admin_in_branch.save()
    grantee = newcomer(tree, "county_grantee")
    services.supervision_grant(user=grantee, organization=tree.county)
    for person in (county, admin_in_branch, grantee):
        with pytest.raises(DomainError, match="无权"):
            sign_in_codes_issue(people=[person], by=people.committee_secretary)
    assert not FirstSignInCode.objects.exists()


# The codes' life ----------------------------------------------------------------------------------


def test_a_code_sets_the_password_once(tree: Tree, people: SimpleNamespace) -> None:
    person = newcomer(tree)
    code = code_of(person, people.admin)
    assert redeem(person, code.lower().replace("-", " ")) == person
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    assert not person.must_change_password
    assert FirstSignInCode.objects.get(person=person).used_at is not None
    with pytest.raises(CodeRefused):
        redeem(person, code, "Another-Pass-2026!")
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)


def test_an_expired_code_is_refused(tree: Tree, people: SimpleNamespace) -> None:
    person = newcomer(tree)
    code = code_of(person, people.admin)
    row = FirstSignInCode.objects.get(person=person)
    assert row.expires_at - row.issued_at == timedelta(days=CODE_VALID_DAYS)
    FirstSignInCode.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(CodeRefused):
        redeem(person, code)
    person.refresh_from_db()
    assert not is_password_usable(person.password)


def test_a_new_code_voids_the_older_unused_one(tree: Tree, people: SimpleNamespace) -> None:
    person = newcomer(tree)
    old = code_of(person, people.admin)
    new = code_of(person, people.committee_secretary)
    first, second = FirstSignInCode.objects.filter(person=person).order_by("pk")
    assert first.voided_at is not None
    assert second.voided_at is None
    with pytest.raises(CodeRefused):
        redeem(person, old)
    assert redeem(person, new) == person
    # The voiding is in the audit trail with who did it.
    voided = first.history.filter(history_type="~").get()
    assert voided.history_user == people.committee_secretary


def test_a_code_is_bound_to_its_person(tree: Tree, people: SimpleNamespace) -> None:
    one, other = newcomer(tree, "one"), newcomer(tree, "other")
    code = code_of(one, people.admin)
    code_of(other, people.admin)
    with pytest.raises(CodeRefused):
        redeem(other, code)


def test_a_weak_password_keeps_the_code(tree: Tree, people: SimpleNamespace) -> None:
    from django.core.exceptions import ValidationError

    person = newcomer(tree)
    code = code_of(person, people.admin)
    with pytest.raises(ValidationError):
        redeem(person, code, "123")
    assert FirstSignInCode.objects.get(person=person).used_at is None
    assert redeem(person, code) == person


def test_a_person_who_has_a_password_may_get_a_code_as_a_reset(tree: Tree, people: SimpleNamespace) -> None:
    person = people.branch_member
    assert redeem(person, code_of(person, people.committee_secretary)) == person
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)


def test_no_code_is_kept_in_clear(tree: Tree, people: SimpleNamespace) -> None:
    person = newcomer(tree)
    code = code_of(person, people.admin)
    redeem(person, code)
    bare = normalized(code)
    tables = [FirstSignInCode._meta.db_table, FirstSignInCode.history.model._meta.db_table]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {table}")
            dump = repr(cursor.fetchall())
            assert bare not in dump
            assert code not in dump
    assert "digest" not in {field.name for field in FirstSignInCode.history.model._meta.fields}


# The public page ----------------------------------------------------------------------------------


def post_code(client: Client, username: str, code: str, password: str = NEW_PASSWORD) -> str:
    response = client.post(
        reverse("first_sign_in"),
        {"username": username, "code": code, "new_password1": password, "new_password2": password},
    )
    return response.content.decode() if response.status_code == 200 else response["Location"]


def test_the_page_signs_the_person_in(tree: Tree, people: SimpleNamespace) -> None:
    person = newcomer(tree)
    client = Client()
    assert post_code(client, person.username, code_of(person, people.admin)) == reverse("home")
    assert client.get(reverse("home")).context["user"] == person


def test_every_wrong_code_gets_the_same_answer(tree: Tree, people: SimpleNamespace) -> None:
    person = newcomer(tree)
    used = newcomer(tree, "used")
    used_code = code_of(used, people.admin)
    redeem(used, used_code)
    expired = newcomer(tree, "expired")
    expired_code = code_of(expired, people.admin)
    FirstSignInCode.objects.filter(person=expired).update(expires_at=timezone.now())
    code_of(person, people.admin)
    answers = {
        "wrong code": post_code(Client(REMOTE_ADDR="10.0.0.2"), person.username, "ABCD-EFGH-JKMN"),
        "unknown login": post_code(Client(REMOTE_ADDR="10.0.0.3"), "nobody-here", "ABCD-EFGH-JKMN"),
        "used code": post_code(Client(REMOTE_ADDR="10.0.0.4"), used.username, used_code),
        "expired code": post_code(Client(REMOTE_ADDR="10.0.0.5"), expired.username, expired_code),
    }
    errors = {
        reason: re.findall(r'<div class="alert error" role="alert"><p>(.*?)</p>', page)
        for reason, page in answers.items()
    }
    assert all(found and REFUSAL in found[0] for found in errors.values()), errors
    assert len({found[0] for found in errors.values()}) == 1


def test_guessing_is_limited_per_login(tree: Tree, people: SimpleNamespace, settings: object) -> None:
    person = newcomer(tree)
    code = code_of(person, people.admin)
    for number in range(5):  # LOGIN_FAILURE_LIMIT
        assert REFUSAL in post_code(Client(REMOTE_ADDR=f"10.0.1.{number}"), person.username, "WRONG-WRONG-22")
    # From yet another address, even the right code waits for the lockout to pass.
    assert REFUSAL in post_code(Client(REMOTE_ADDR="10.0.2.1"), person.username, code)
    assert FirstSignInCode.objects.get(person=person).used_at is None
    cache.clear()
    assert post_code(Client(REMOTE_ADDR="10.0.2.1"), person.username, code) == reverse("home")


def test_guessing_is_limited_per_address(tree: Tree, people: SimpleNamespace) -> None:
    person = newcomer(tree)
    code = code_of(person, people.admin)
    client = Client(REMOTE_ADDR="10.0.3.1")
    for number in range(20):  # LOGIN_FAILURE_LIMIT x ADDRESS_FAILURE_FACTOR, over many logins
        post_code(client, f"someone{number}", "WRONG-WRONG-22")
    assert REFUSAL in post_code(client, person.username, code)
    assert post_code(Client(REMOTE_ADDR="10.0.3.2"), person.username, code) == reverse("home")


def test_mismatched_passwords_are_refused_before_the_code_is_looked_at(tree: Tree, people: SimpleNamespace) -> None:
    person = newcomer(tree)
    code = code_of(person, people.admin)
    page = Client().post(
        reverse("first_sign_in"),
        {"username": person.username, "code": code, "new_password1": NEW_PASSWORD, "new_password2": "other"},
    )
    assert "两次输入的新密码不一致" in page.content.decode()
    assert FirstSignInCode.objects.get(person=person).used_at is None


# The slips ----------------------------------------------------------------------------------------


def test_the_slips_page_shows_each_code_once(tree: Tree, people: SimpleNamespace) -> None:
    person, other = newcomer(tree), newcomer(tree, "other")
    client = signed_in(people.committee_secretary)
    url = reverse("organization_sign_in_slips", args=[tree.branch.pk])
    listing = client.get(url).content.decode()
    assert 'data-person="newcomer"' in listing
    assert 'data-person="other"' in listing

    response = client.post(url, {"people": [person.pk, other.pk]})
    page = response.content.decode()
    assert "no-store" in response["Cache-Control"]
    printed = slips_on(page)
    codes = list(printed.values())
    assert set(printed) == {"newcomer", "other"}
    assert "http://testserver/first-sign-in/" in page
    # Nowhere else: the list shows only that a code is out, and printing again gives new codes.
    again = client.get(url).content.decode()
    assert not any(code in again for code in codes)
    assert "已发登录码" in again
    reprinted = client.post(url, {"people": [person.pk]}).content.decode()
    assert not any(code in reprinted for code in codes)
    assert redeem(other, printed["other"]) == other
    with pytest.raises(CodeRefused):
        redeem(person, printed["newcomer"])  # voided by the reprint


def test_the_slips_list_leaves_out_who_has_signed_in_unless_asked(tree: Tree, people: SimpleNamespace) -> None:
    newcomer(tree)
    User.objects.filter(username="branch_member").update(last_login=timezone.now())
    client = signed_in(people.committee_secretary)
    url = reverse("organization_sign_in_slips", args=[tree.branch.pk])
    assert 'data-person="branch_member"' not in client.get(url).content.decode()
    assert 'data-person="branch_member"' in client.get(url, {"all": "1"}).content.decode()


def test_the_slips_list_leaves_out_people_beyond_the_committees_reach(tree: Tree, people: SimpleNamespace) -> None:
    newcomer(tree)
    county = newcomer(tree, "county_too")
    services.position_assign(person=county, organization=tree.county, role=Position.Role.SECRETARY)
    url = reverse("organization_sign_in_slips", args=[tree.branch.pk])
    page = signed_in(people.committee_secretary).get(url).content.decode()
    assert 'data-person="newcomer"' in page
    assert 'data-person="county_too"' not in page
    assert "另有 1 人兼任本组织范围以外的职务" in page
    assert 'data-person="county_too"' in signed_in(people.admin).get(url).content.decode()


def test_the_slips_page_answers_by_the_permission_module(tree: Tree, people: SimpleNamespace) -> None:
    url = reverse("organization_sign_in_slips", args=[tree.branch.pk])
    assert signed_in(people.committee_secretary).get(url).status_code == 200
    assert signed_in(people.admin).get(url).status_code == 200
    assert signed_in(people.branch_secretary).get(url).status_code == 403
    assert signed_in(people.grantee).get(url).status_code == 403
    assert signed_in(people.outsider).get(url).status_code == 404
    sibling_url = reverse("organization_sign_in_slips", args=[tree.sibling_branch.pk])
    assert signed_in(people.committee_secretary).get(sibling_url).status_code == 404
    person = newcomer(tree)
    assert signed_in(people.branch_secretary).post(url, {"people": [person.pk]}).status_code == 403
    assert not FirstSignInCode.objects.exists()


def test_a_person_outside_the_list_cannot_be_slipped_in(tree: Tree, people: SimpleNamespace) -> None:
    theirs = UserFactory(username="theirs")
    services.position_assign(person=theirs, organization=tree.sibling_branch, role=Position.Role.MEMBER)
    client = signed_in(people.committee_secretary)
    response = client.post(reverse("organization_sign_in_slips", args=[tree.branch.pk]), {"people": [theirs.pk]})
    assert response.status_code == 200
    assert "signin-slip-code" not in response.content.decode()
    assert not FirstSignInCode.objects.exists()


def test_the_organization_page_links_to_the_slips_for_those_who_may_print(tree: Tree, people: SimpleNamespace) -> None:
    link = reverse("organization_sign_in_slips", args=[tree.branch.pk])
    detail = reverse("organization_detail", args=[tree.branch.pk])
    assert link in signed_in(people.committee_secretary).get(detail).content.decode()
    assert link not in signed_in(people.branch_secretary).get(detail).content.decode()


# The import: the template, its round trip, and the slips of the people it created ------------------


def test_the_template_lists_every_column_the_importer_reads() -> None:
    book = openpyxl.load_workbook(io.BytesIO(import_template()))
    rules = column_rules()
    for table, columns in COLUMNS.items():
        sheet = book[SHEET_NAMES[table][0]]
        header = [cell.value for cell in sheet[1]]
        assert header == [column.label for column in columns]
        assert all(cell.comment is not None and cell.comment.text for cell in sheet[1])
        assert set(rules[table]) == {column.key for column in columns}
        assert sheet.max_row == 2  # one example row
    listed = {(row[0], row[1]) for row in book[RULES_SHEET].iter_rows(min_row=2, values_only=True) if row[1]}
    assert listed == {(SHEET_NAMES[table][0], column.label) for table, columns in COLUMNS.items() for column in columns}


def test_the_template_with_its_examples_imports_cleanly(db: None) -> None:
    result = organizations_import(files=[("导入模板.xlsx", import_template())])
    assert (result.organizations_created, result.people_created, result.positions_created) == (1, 1, 1)
    person = User.objects.get(pk__in=result.created_people)
    position = Position.objects.get(person=person)
    assert position.role == Position.Role.SECRETARY
    assert position.organization.established_on is not None
    assert person.phone
    assert person.email


def test_the_template_is_for_administrators(people: SimpleNamespace) -> None:
    url = reverse("import_template")
    response = signed_in(people.admin).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert signed_in(people.committee_secretary).get(url).status_code == 403


def test_the_import_page_leads_to_the_slips_of_the_people_it_created(tree: Tree, people: SimpleNamespace) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = signed_in(people.admin)
    page = client.get(reverse("organization_import")).content.decode()
    assert reverse("import_template") in page
    upload = SimpleUploadedFile("模板.xlsx", import_template())
    response = client.post(reverse("organization_import"), {"upload": upload}, follow=True)
    page = response.content.decode()
    assert "打印首次登录单" in page
    assert "为本次导入的 1 人打印首次登录单" in page
    assert "请管理员为其设置初始密码" not in page
    [person_id] = client.session[IMPORTED_PEOPLE]
    listing = client.get(reverse("imported_sign_in_slips")).content.decode()
    assert 'data-person="shili.zhang"' in listing
    slips = client.post(reverse("imported_sign_in_slips"), {"people": [person_id]}).content.decode()
    code = slips_on(slips)["shili.zhang"]
    assert redeem(User.objects.get(pk=person_id), code).username == "shili.zhang"
    assert signed_in(people.committee_secretary).get(reverse("imported_sign_in_slips")).status_code == 403
