"""The admin index names every app and model in the reader's language: third-party apps under names of our own
(config/apps.py), plurals with their own msgids so English can say "Records"."""

from __future__ import annotations

import re
from types import SimpleNamespace

from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise

from tests.clients import signed_in

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_app_and_model_in_the_admin_has_a_name_marked_for_translation() -> None:
    for model in admin.site._registry:
        app = model._meta.app_config
        assert isinstance(app.verbose_name, Promise), app.label
        assert isinstance(model._meta.verbose_name, Promise), model._meta.label
        assert isinstance(model._meta.verbose_name_plural, Promise), model._meta.label


def test_the_admin_index_in_english_shows_no_package_names_and_no_chinese(people: SimpleNamespace) -> None:
    client = signed_in(people.admin, Client(HTTP_ACCEPT_LANGUAGE="en"))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    page = response.content.decode()
    listing = page[page.index('id="content-main"') : page.index('id="content-related"')]
    with translation.override("en"):
        names = [str(app["name"]) for app in response.context["app_list"]] + [
            str(model["name"]) for app in response.context["app_list"] for model in app["models"]
        ]
        # Django's fallback for an app without a verbose name: its label, title-cased ("Otp_Totp").
        assert not [app for app in response.context["app_list"] if str(app["name"]) == app["app_label"].title()]
    assert [name for name in names if CJK.search(name)] == []
    assert not CJK.search(listing)
