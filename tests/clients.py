"""Signed-in clients for the tests: one way to act as a person, over HTTP or in a browser."""

from __future__ import annotations

from typing import Any

from django.test import Client

DEMO_PASSWORD = "demo-pass-2026"


def signed_in(user: Any, client: Client | None = None, **defaults: Any) -> Client:
    """CLIENT (a new one when none is given, with DEFAULTS such as REMOTE_ADDR) signed in as USER."""
    client = client if client is not None else Client(**defaults)
    client.force_login(user)
    return client


def sign_in(page: Any, url: str, login: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the sign-in page of the server at URL, as a person would, and wait for 我的工作."""
    page.goto(f"{url}/login/")
    page.get_by_label("登录名").fill(login)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="我的工作").wait_for()
