"""A small HTTP load generator: threads, one keep-alive connection each, a fixed number of requests.

No wrk or locust here, so the client is Python: each thread takes the next request number from a
shared counter until the fixed total is reached, times the request from sending to the last byte
read, and keeps the latency. The client's own CPU time per request is measured too, so the report
can say how much of the machine the client took (it shares the two CPUs with the server).

Also signs a person in through the real login form (CSRF token, Referer and Origin as a browser
sends them over HTTPS) and returns the session cookie.
"""

from __future__ import annotations

import http.client
import itertools
import math
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode, urlsplit

# Production settings trust this header from the front proxy (SECURE_PROXY_SSL_HEADER): sending it
# keeps SECURE_SSL_REDIRECT on, as in production, while the bench talks plain HTTP to gunicorn.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


class LoadError(RuntimeError):
    """A page answered something other than 200, or signing in did not work."""


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) of already sorted values, interpolated between closest ranks."""
    if not sorted_values:
        raise ValueError("no values")
    if not 0 <= p <= 100:
        raise ValueError("p must be within 0..100")
    rank = (len(sorted_values) - 1) * p / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return float(sorted_values[low])
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


@dataclass
class LoadResult:
    requests: int
    concurrency: int
    seconds: float
    latencies: list[float] = field(repr=False)
    client_cpu_seconds: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def latency_ms(self, p: float) -> float:
        return percentile(sorted(self.latencies), p) * 1000

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "concurrency": self.concurrency,
            "seconds": round(self.seconds, 3),
            "rps": round(self.requests_per_second, 1),
            "p50_ms": round(self.latency_ms(50), 2),
            "p95_ms": round(self.latency_ms(95), 2),
            "p99_ms": round(self.latency_ms(99), 2),
            "client_cpu_us_per_request": round(self.client_cpu_seconds / self.requests * 1e6, 1),
            "errors": self.errors,
        }


def run_load(
    host: str,
    port: int,
    path: str,
    *,
    requests: int,
    concurrency: int,
    headers: Mapping[str, str] | None = None,
    warmup: int = 0,
    timeout: float = 60.0,
) -> LoadResult:
    """Sends REQUESTS GETs of PATH over CONCURRENCY connections; WARMUP more first, not measured.

    Any answer but 200 is counted in `errors` (by status) and raises LoadError at the end: a
    benchmark of an error page or a redirect to the login page would measure the wrong thing.
    """
    if requests < 1 or concurrency < 1:
        raise ValueError("requests and concurrency must be at least 1")
    sent_headers = {"Host": f"{host}:{port}", **PROXY_HEADERS, **(headers or {})}
    if warmup:
        _drive(host, port, path, warmup, concurrency, sent_headers, timeout)
    cpu_before = time.process_time()
    latencies, errors, seconds = _drive(host, port, path, requests, concurrency, sent_headers, timeout)
    cpu = time.process_time() - cpu_before
    result = LoadResult(requests, concurrency, seconds, latencies, client_cpu_seconds=cpu, errors=errors)
    if errors:
        raise LoadError(f"GET {path}: {errors}")
    return result


def _drive(
    host: str,
    port: int,
    path: str,
    total: int,
    concurrency: int,
    headers: Mapping[str, str],
    timeout: float,
) -> tuple[list[float], dict[str, int], float]:
    counter = itertools.count()  # next() on a count is atomic under the GIL
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    start = threading.Barrier(concurrency + 1)

    def worker() -> None:
        mine: list[float] = []
        failures: dict[str, int] = {}
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        start.wait()
        while next(counter) < total:
            began = time.perf_counter()
            try:
                connection.request("GET", path, headers=dict(headers))
                response = connection.getresponse()
                response.read()
                status = str(response.status)
                if response.will_close:
                    # gunicorn's sync workers close after each answer; the next request reconnects.
                    connection.close()
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__
                connection.close()
            mine.append(time.perf_counter() - began)
            if status != "200":
                failures[status] = failures.get(status, 0) + 1
        connection.close()
        with lock:
            latencies.extend(mine)
            for status, count in failures.items():
                errors[status] = errors.get(status, 0) + count

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - began


# Signing in ----------------------------------------------------------------------------------------

_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken"\s+value="([^"]+)"')


@dataclass
class Browser:
    """Just enough of a browser for the login form: cookies, and the headers CSRF checks over HTTPS."""

    host: str
    port: int
    scheme: str = "https"
    """What the site takes the scheme to be: https behind the proxy header, http without it."""
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())} if self.cookies else {}

    def request(self, method: str, path: str, form: Mapping[str, str] | None = None) -> tuple[int, str, str]:
        """(status, Location, body) of one request; cookies set by the answer are kept."""
        headers = {"Host": f"{self.host}:{self.port}", **PROXY_HEADERS, **self.cookie_header()}
        body = None
        if form is not None:
            body = urlencode(form)
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.origin,
                "Referer": self.origin + path,
            }
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for value in response.headers.get_all("Set-Cookie") or []:
                cookie: SimpleCookie = SimpleCookie()
                cookie.load(value)
                for name, morsel in cookie.items():
                    if morsel.value:
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
            return response.status, response.headers.get("Location", ""), text
        finally:
            connection.close()

    def submit(self, path: str, fields: Mapping[str, str]) -> tuple[int, str, str]:
        """GETs the form page for its CSRF token, then POSTs the fields with it."""
        status, _location, page = self.request("GET", path)
        match = _CSRF_INPUT.search(page)
        if status != 200 or not match:
            raise LoadError(f"no form with a CSRF token at {path} (status {status})")
        return self.request("POST", path, {"csrfmiddlewaretoken": match.group(1), **fields})


def totp_code(key_hex: str, *, step: int = 30, digits: int = 6) -> str:
    """The authenticator's current code for a TOTP key (django-otp's hex `key`), as the phone shows it."""
    from django_otp.oath import totp

    return f"{totp(bytes.fromhex(key_hex), step=step, t0=0, digits=digits):0{digits}d}"


def sign_in(
    host: str, port: int, username: str, password: str, *, totp_key: str | None = None, scheme: str = "https"
) -> dict[str, str]:
    """Signs in through the login form, and the two-factor step when the site asks for it, as a person
    does; returns the headers that carry the session.

    TOTP_KEY is the person's authenticator key: the code is computed from it when the site sends
    the person to the code page after the password.
    """
    browser = Browser(host, port, scheme)
    status, location, _body = browser.submit("/login/", {"username": username, "password": password})
    if status != 302 or "sessionid" not in browser.cookies:
        raise LoadError(f"signing in {username} failed (status {status})")
    for _hop in range(3):
        target = urlsplit(location)
        status, location, _page = browser.request("GET", target.path + (f"?{target.query}" if target.query else ""))
        if status == 200 and "/two-factor/verify/" in target.path:
            if totp_key is None:
                raise LoadError(f"{username}: the site asks for a two-factor code and no authenticator key was given")
            status, location, _body = browser.submit(target.path, {"code": totp_code(totp_key), "next": "/"})
            if status != 302:
                raise LoadError(f"{username}: the two-factor code was refused (status {status})")
            continue
        if status == 302 and "/two-factor/enrol/" in location:
            raise LoadError(f"{username} must set up two-factor sign-in; the bench gives its users an authenticator")
        if status == 302 and "/password/" in location:
            raise LoadError(f"{username} must change the password first; the bench marks its users as signed in")
        if status == 200:
            return browser.cookie_header()
        if status != 302:
            break
    raise LoadError(f"{username}: signed in, but the home page answered {status}")
