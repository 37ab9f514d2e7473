"""Group robot addresses: https to an allowed host on its allowed port, checked when saved and before each
post, and never a redirect followed. Delivery runs against real local servers (http.server in a thread);
the robot's own speaks TLS with a certificate made here and trusted through SSL_CERT_FILE."""

from __future__ import annotations

import datetime
import json
import logging
import ssl
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.test import Client
from django.urls import reverse

from foundation.errors import DomainError
from notifications import delivery as notification_delivery
from notifications import services as notification_services
from notifications.models import Delivery, WebhookEndpoint
from tests.conftest import Tree
from tests.factories import UserFactory

Status = Delivery.Status
WECOM = WebhookEndpoint.Kind.WECOM
KEY_PATH = "/cgi-bin/webhook/send?key=branch-key"


class Server:
    """A local HTTP(S) server in a thread: records each request and answers as `answer` says."""

    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        self.requests: list[tuple[str, str, bytes]] = []
        self.redirect_to: str | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                server.requests.append((self.command, self.path, self.rfile.read(length)))
                if server.redirect_to is not None and self.path.startswith("/cgi-bin/"):
                    self.send_response(302)
                    self.send_header("Location", server.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = b'{"errcode": 0, "errmsg": "ok"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost: (certificate file, key file)."""
    folder = tmp_path_factory.mktemp("robot-tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


@pytest.fixture
def robot(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """The group robot: an https server on localhost at a free (so never standard) port, trusted by the client."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    server = Server(tls=certificate)
    yield server
    server.stop()


@pytest.fixture
def elsewhere() -> Iterator[Server]:
    """Another host (127.0.0.1, plain http): a redirect's target, which must never be contacted."""
    server = Server()
    yield server
    server.stop()


@pytest.fixture
def deliver_now(django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[[Any], Delivery]:
    """Notifies the person and delivers after commit, as a real commit would; returns the robot's delivery."""

    def send(person: Any) -> Delivery:
        with django_capture_on_commit_callbacks(execute=True):
            notification_services.notify(
                recipient=person, kind="reminder", key="task_created", params={"title": "规范台账"}
            )
        return Delivery.objects.get(channel=Delivery.Channel.WEBHOOK)

    return send


# Delivery ----------------------------------------------------------------------------------------------


def test_a_robot_on_the_port_its_host_entry_names_gets_the_message(
    tree: Tree, people: SimpleNamespace, settings: Any, robot: Server, deliver_now: Callable[[Any], Delivery]
) -> None:
    settings.NOTIFICATION_WEBHOOK_HOSTS = [f"localhost:{robot.port}"]
    url = f"https://localhost:{robot.port}{KEY_PATH}"
    notification_services.webhook_add(by=UserFactory(is_superuser=True), organization=tree.branch, kind=WECOM, url=url)
    delivery = deliver_now(people.branch_secretary)
    assert delivery.status == Status.SENT, delivery.last_error
    [(method, path, body)] = robot.requests
    assert (method, path) == ("POST", KEY_PATH)
    assert "新的整改任务：规范台账" in json.loads(body)["markdown"]["content"]


@pytest.mark.parametrize("target", ["another host", "the same robot"])
def test_a_redirect_is_not_followed_and_fails_the_delivery_with_its_reason(
    tree: Tree,
    people: SimpleNamespace,
    settings: Any,
    robot: Server,
    elsewhere: Server,
    deliver_now: Callable[[Any], Delivery],
    caplog: pytest.LogCaptureFixture,
    target: str,
) -> None:
    settings.NOTIFICATION_WEBHOOK_HOSTS = [f"localhost:{robot.port}"]
    robot.redirect_to = (
        f"http://127.0.0.1:{elsewhere.port}/collect"
        if target == "another host"
        else f"https://localhost:{robot.port}/elsewhere"
    )
    WebhookEndpoint.objects.create(
        organization=tree.branch, kind=WECOM, url=f"https://localhost:{robot.port}{KEY_PATH}"
    )
    with caplog.at_level(logging.WARNING, logger="notifications"):
        delivery = deliver_now(people.branch_secretary)

    assert [path for _method, path, _body in robot.requests] == [KEY_PATH]
    assert elsewhere.requests == []
    assert delivery.status == Status.FAILED  # retrying cannot help: the address itself sends us away
    assert delivery.attempts == 1
    assert "重定向（HTTP 302" in delivery.last_error
    assert "未跟随" in delivery.last_error
    assert "重定向" in caplog.text
    assert "branch-key" not in caplog.text


def test_a_robot_saved_on_a_port_no_host_entry_names_is_never_contacted(
    tree: Tree, people: SimpleNamespace, settings: Any, robot: Server, deliver_now: Callable[[Any], Delivery]
) -> None:
    # Saved under other settings or straight into the database: delivery checks the address again.
    settings.NOTIFICATION_WEBHOOK_HOSTS = ["localhost"]
    WebhookEndpoint.objects.create(
        organization=tree.branch, kind=WECOM, url=f"https://localhost:{robot.port}{KEY_PATH}"
    )
    delivery = deliver_now(people.branch_secretary)
    assert robot.requests == []
    assert delivery.status == Status.FAILED
    assert f"不能使用 {robot.port} 端口" in delivery.last_error


def test_a_robot_whose_host_is_no_longer_allowed_is_never_contacted(
    tree: Tree, people: SimpleNamespace, settings: Any, robot: Server, deliver_now: Callable[[Any], Delivery]
) -> None:
    settings.NOTIFICATION_WEBHOOK_HOSTS = [f"localhost:{robot.port}"]
    notification_services.webhook_add(
        by=UserFactory(is_superuser=True),
        organization=tree.branch,
        kind=WECOM,
        url=f"https://localhost:{robot.port}{KEY_PATH}",
    )
    settings.NOTIFICATION_WEBHOOK_HOSTS = ["qyapi.weixin.qq.com"]
    delivery = deliver_now(people.branch_secretary)
    assert robot.requests == []
    assert delivery.status == Status.FAILED
    assert "不在允许范围内" in delivery.last_error


# Saving -------------------------------------------------------------------------------------------------

HOSTS = ["qyapi.weixin.qq.com", "oapi.dingtalk.com", "relay.intranet:8443"]


@pytest.mark.parametrize(
    "url",
    [
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
        "https://qyapi.weixin.qq.com:443/cgi-bin/webhook/send?key=k",
        "https://OAPI.DingTalk.com/robot/send?access_token=t",
        "https://relay.intranet:8443/send?key=k",
    ],
)
def test_an_allowed_host_on_its_port_is_accepted(tree: Tree, settings: Any, url: str) -> None:
    settings.NOTIFICATION_WEBHOOK_HOSTS = HOSTS
    assert notification_delivery.webhook_address_problem(url) is None
    assert notification_services.webhook_add(
        by=UserFactory(is_superuser=True), organization=tree.branch, kind=WECOM, url=url
    ).pk


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://qyapi.weixin.qq.com:8443/cgi-bin/webhook/send?key=k", "不能使用 8443 端口"),
        ("https://qyapi.weixin.qq.com:80/cgi-bin/webhook/send?key=k", "不能使用 80 端口"),
        ("https://qyapi.weixin.qq.com:22/", "不能使用 22 端口"),
        ("https://qyapi.weixin.qq.com:0/", "不能使用 0 端口"),
        ("https://qyapi.weixin.qq.com:99999/", "格式不正确"),
        ("https://qyapi.weixin.qq.com:port/", "格式不正确"),
        ("https://relay.intranet:9443/send", "不能使用 9443 端口"),
        ("https://relay.intranet/send", "不在允许范围内"),
        ("https://user:secret@qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "用户名或密码"),
        ("https://qyapi.weixin.qq.com@127.0.0.1/cgi-bin/webhook/send?key=k", "用户名或密码"),
        ("https://qyapi.weixin.qq.com.evil.example/", "不在允许范围内"),
        ("https://127.0.0.1:8443/", "不在允许范围内"),
        ("http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "https://"),
    ],
)
def test_an_address_off_the_allowed_hosts_and_ports_is_refused_when_saved(
    tree: Tree, settings: Any, url: str, reason: str
) -> None:
    settings.NOTIFICATION_WEBHOOK_HOSTS = HOSTS
    with pytest.raises(DomainError, match=reason):
        notification_services.webhook_add(
            by=UserFactory(is_superuser=True), organization=tree.branch, kind=WECOM, url=url
        )
    assert not WebhookEndpoint.objects.exists()


def test_the_settings_page_says_why_a_port_is_refused(client: Client, tree: Tree, people: SimpleNamespace) -> None:
    client.force_login(people.branch_secretary)
    url = "https://qyapi.weixin.qq.com:8443/cgi-bin/webhook/send?key=k"
    response = client.post(
        reverse("notification_settings"),
        {"action": "robot_add", "organization": tree.branch.pk, "kind": "wecom", "url": url},
    )
    assert response.status_code == 200
    assert "群机器人地址不能使用 8443 端口，请使用企业微信或钉钉给出的原地址。" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_admin_refuses_what_the_settings_page_refuses(client: Client, tree: Tree, people: SimpleNamespace) -> None:
    client.force_login(people.admin)
    form = {"organization": tree.branch.pk, "kind": "wecom", "is_active": "on"}
    refused = client.post(
        reverse("admin:notifications_webhookendpoint_add"),
        {**form, "url": "https://qyapi.weixin.qq.com:8443/cgi-bin/webhook/send?key=k"},
    )
    assert refused.status_code == 200
    assert "不能使用 8443 端口" in refused.content.decode()
    assert not WebhookEndpoint.objects.exists()
    accepted = client.post(
        reverse("admin:notifications_webhookendpoint_add"),
        {**form, "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"},
    )
    assert accepted.status_code == 302
    assert WebhookEndpoint.objects.count() == 1
