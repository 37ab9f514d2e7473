"""A real web server's access and error logs of a vote hold no ballot code.

gunicorn serves the app as production does (its access log on), a member votes over HTTP the way the
page does it (the code posted in the body, never in the address), the vote is replayed and a code is
guessed; then every line the server and the app wrote is searched for the codes.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import urllib.parse
import urllib.request
from contextlib import closing
from pathlib import Path
from types import SimpleNamespace

import pytest

from reviews.models import Cycle, SpentCode
from tests.conftest import Tree
from tests.reviews.conftest import make_codes
from tests.test_faults import ROOT, SECONDS, printed, shared_database, stop, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class Browser:
    """Cookies and the CSRF token, as a phone's browser keeps them."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=SECONDS) as response:
            return response.read().decode()

    def post(self, path: str, fields: dict[str, str], page: str) -> tuple[int, str]:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert match is not None
        body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": match.group(1)}).encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST")
        with self.opener.open(request, timeout=SECONDS) as response:
            return response.status, response.read().decode()


def test_the_servers_access_and_error_logs_of_votes_hold_no_code(
    people: SimpleNamespace, tree: Tree, open_cycle: Cycle, tmp_path: Path
) -> None:
    codes = make_codes(open_cycle, tree.branch, 2, people)
    database = shared_database(tmp_path)
    port = _free_port()
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    env = {
        **{key: value for key, value in os.environ.items() if key != "DATABASE_URL"},
        "DATABASE_URL": database.url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        # As deployed: DEBUG off (with it on, Django's own SQL log at DEBUG level prints every query's values).
        "DEBUG": "false",
        "LOG_LEVEL": "INFO",
    }
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"),
            *("--access-logfile", str(access), "--error-logfile", str(errors), "--capture-output"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(base + "/healthz"), timeout=SECONDS, failure=lambda: printed(errors))
        phone = Browser(base)
        page = phone.get("/vote/")
        status, ballot = phone.post("/vote/", {"step": "code", "code": codes[0]}, page)
        assert status == 200
        assert 'name="rating"' in ballot
        status, _thanks = phone.post("/vote/", {"step": "cast", "code": codes[0], "rating": "good"}, ballot)
        assert status == 200
        _status, replayed = phone.post("/vote/", {"step": "cast", "code": codes[0], "rating": "poor"}, ballot)
        assert "该测评码已使用过" in replayed
        # A guess one character off a real code (never the code itself, whatever its last character).
        guess = codes[1][:-1] + ("Y" if codes[1].endswith("X") else "X")
        _status, guessed = phone.post("/vote/", {"step": "code", "code": guess}, page)
        assert "测评码无效" in guessed
    finally:
        stop(server)

    logged = access.read_text(errors="replace") + errors.read_text(errors="replace")
    assert "POST /vote/ " in logged, logged  # the log is there and records the requests
    for code in codes:
        for variant in (code, code.lower(), code[:5], code[5:]):
            assert variant not in logged, f"{variant} in the server's logs"
    assert database.value(f"SELECT COUNT(*) FROM {SpentCode._meta.db_table}") == 1
