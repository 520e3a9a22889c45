from __future__ import annotations

import pytest

from tests.orchestrate.sinks import HookSink, SmtpSink, free_port
from wegweiser.orchestrate.channels import Delivered, Message
from wegweiser.orchestrate.channels.email import EmailChannel
from wegweiser.orchestrate.channels.provider import ProviderChannel
from wegweiser.orchestrate.channels.webhook import WebhookChannel
from wegweiser.orchestrate.errors import Terminal, Transient
from wegweiser.orchestrate.settings import EmailSettings, EndpointSettings

MAIL = Message(
    person_id="p1", journey="reminder", step="mail", variant="A", to="anna@example.org",
    subject="Nur heute: 10 %", text="Hallo Anna\n", html="<p>Hallo <b>Anna</b></p>",
    unsubscribe_url="http://127.0.0.1:8000/u/tok",
)


@pytest.fixture
def smtp():
    with SmtpSink() as sink:
        yield sink


def test_email_is_proper_mime_with_one_click_unsubscribe(smtp):
    channel = EmailChannel(EmailSettings(port=smtp.port, from_address="Shop <shop@example.org>"))
    try:
        assert isinstance(channel.send(MAIL, "r1|mail|email"), Delivered)
        assert isinstance(channel.send(MAIL, "r2|mail|email"), Delivered)  # connection reused
    finally:
        channel.close()
    assert smtp.keys() == {"r1|mail|email": 1, "r2|mail|email": 1}
    msg = smtp.messages[0]
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg.get_body(("plain",)).get_content() == "Hallo Anna\n"
    assert "<b>Anna</b>" in msg.get_body(("html",)).get_content()
    assert msg["Subject"] == "Nur heute: 10 %"
    assert msg["List-Unsubscribe"] == "<http://127.0.0.1:8000/u/tok>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["Message-ID"] != smtp.messages[1]["Message-ID"]


def test_email_to_an_unreachable_server_is_transient_and_surely_not_delivered():
    channel = EmailChannel(EmailSettings(port=free_port(), timeout_seconds=2))
    outcome = channel.send(MAIL, "k")
    assert isinstance(outcome, Transient)
    assert not outcome.maybe_delivered
    assert "SMTP" in outcome.reason


def test_email_refusals_5xx_terminal_4xx_transient(smtp):
    channel = EmailChannel(EmailSettings(port=smtp.port))
    smtp.rcpt_reply = "550 5.1.1 no such user"
    outcome = channel.send(MAIL, "k1")
    assert isinstance(outcome, Terminal)
    assert "550" in outcome.reason
    smtp.rcpt_reply = "451 4.7.1 try again later"
    outcome = channel.send(MAIL, "k2")
    assert isinstance(outcome, Transient)
    assert not outcome.maybe_delivered
    smtp.rcpt_reply = None
    assert isinstance(channel.send(MAIL, "k3"), Delivered)
    assert isinstance(channel.send(MAIL.__class__(person_id="p", journey="j", step="s"), "k4"),
                      Terminal)
    channel.close()
    assert smtp.keys() == {"k3": 1}


def _hook(sink: HookSink, **kw) -> WebhookChannel:
    return WebhookChannel(EndpointSettings(url=sink.url, timeout_seconds=kw.pop("timeout", 2)),
                          secret="hook-secret", backoff_seconds=0.01, **kw)


def test_webhook_is_signed_and_carries_the_idempotency_key(hook):
    message = Message(person_id="p1", journey="j", step="s", payload={"person": "p1", "n": 1})
    assert isinstance(_hook(hook).send(message, "j:p1:1|s|webhook"), Delivered)
    ((key, body, signed),) = hook.arrivals
    assert (key, body, signed) == ("j:p1:1|s|webhook", {"person": "p1", "n": 1}, True)
    wrong = WebhookChannel(EndpointSettings(url=hook.url), secret="other")
    assert isinstance(wrong.send(message, "k2"), Delivered)
    assert hook.arrivals[-1][2] is False  # the receiver can tell


def test_webhook_retries_5xx_with_the_same_key_and_gives_up_on_4xx(hook):
    message = Message(person_id="p1", journey="j", step="s", payload={})
    hook.script = [500, 503]
    assert isinstance(_hook(hook).send(message, "a"), Delivered)
    assert hook.keys()["a"] == 3
    hook.script = [500, 500, 500]
    outcome = _hook(hook).send(message, "b")
    assert isinstance(outcome, Transient)
    assert "HTTP 500" in outcome.reason
    hook.script = [422]
    outcome = _hook(hook).send(message, "c")
    assert isinstance(outcome, Terminal)
    assert hook.keys()["c"] == 1
    hook.script = [429]
    assert isinstance(_hook(hook).send(message, "d"), Delivered)


def test_a_timeout_is_retried_on_webhooks_but_not_on_providers(hook):
    message = Message(person_id="p1", journey="j", step="s", to="+4917012345", text="Hi")
    hook.delay = 0.6
    outcome = _hook(hook, timeout=0.2, tries=2).send(message, "w")
    assert isinstance(outcome, Transient)
    assert outcome.maybe_delivered
    assert hook.keys()["w"] == 2
    sms = ProviderChannel("sms", EndpointSettings(url=hook.url, timeout_seconds=0.2),
                          secret="hook-secret", backoff_seconds=0.01)
    outcome = sms.send(message, "s")
    assert isinstance(outcome, Transient)
    assert outcome.maybe_delivered
    assert hook.keys()["s"] == 1  # never twice without a key the receiver honours
    hook.delay = 0
    assert isinstance(sms.send(message, "s2"), Delivered)
    assert hook.arrivals[-1][1] == {"channel": "sms", "to": "+4917012345", "title": "",
                                    "text": "Hi", "journey": "j", "step": "s", "variant": ""}


def test_a_prepared_mail_is_delivered_only_by_its_commit(smtp):
    import time

    channel = EmailChannel(EmailSettings(port=smtp.port))
    prepared = channel.prepare(MAIL, "dropped")
    assert not isinstance(prepared, Delivered | Transient | Terminal)
    prepared.abort()  # e.g. a worker killed before the final "."
    prepared = channel.prepare(MAIL, "kept")
    assert isinstance(prepared.commit(), Delivered)  # type: ignore[union-attr]
    channel.close()
    time.sleep(0.2)
    assert smtp.keys() == {"kept": 1}


def _subscription(endpoint: str):
    import base64
    import os

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    receiver = ec.generate_private_key(ec.SECP256R1())
    public = receiver.public_key().public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.UncompressedPoint)
    auth = os.urandom(16)
    return {"endpoint": endpoint, "keys": {"p256dh": b64(public), "auth": b64(auth)}}, \
        receiver, auth


def test_web_push_is_encrypted_for_the_subscription_and_vapid_signed(hook):
    import base64
    import json

    import http_ece
    from py_vapid import Vapid

    from wegweiser.orchestrate.channels.webpush import WebPushChannel
    from wegweiser.orchestrate.settings import WebPushSettings

    vapid = Vapid()
    vapid.generate_keys()
    raw_key = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    key = base64.urlsafe_b64encode(raw_key).rstrip(b"=").decode()
    subscription, receiver, auth = _subscription(hook.url)
    channel = WebPushChannel(WebPushSettings(subject="mailto:shop@example.org",
                                             timeout_seconds=2), vapid_private_key=key)
    message = Message(person_id="p1", journey="j", step="s", to=json.dumps(subscription),
                      subject="Nur heute", text="10 % auf alles")
    assert isinstance(channel.send(message, "j:p1:1|s|webpush"), Delivered)
    ((raw_headers, body),) = hook.raw
    headers = {k.lower(): v for k, v in raw_headers.items()}
    assert headers["authorization"].startswith("vapid t=")
    assert headers["content-encoding"] == "aes128gcm"
    plain = http_ece.decrypt(body, private_key=receiver, auth_secret=auth, version="aes128gcm")
    assert json.loads(plain) == {"title": "Nur heute", "body": "10 % auf alles", "url": None,
                                 "key": "j:p1:1|s|webpush"}
    hook.script = [410]
    outcome = channel.send(message, "k2")
    assert isinstance(outcome, Terminal)
    assert "subscription gone" in outcome.reason
    hook.script = [503]
    assert isinstance(channel.send(message, "k3"), Transient)
    assert isinstance(channel.send(Message(person_id="p", journey="j", step="s", to="{}"),
                                   "k4"), Terminal)


def test_a_prepared_provider_request_arrives_only_by_its_commit(hook):
    import time

    sms = ProviderChannel("sms", EndpointSettings(url=hook.url, timeout_seconds=2),
                          secret="hook-secret")
    message = Message(person_id="p1", journey="j", step="s", to="+4917012345", text="Hi")
    prepared = sms.prepare(message, "dropped")
    assert not isinstance(prepared, Delivered | Transient | Terminal)
    prepared.abort()  # a worker killed before the last byte
    prepared = sms.prepare(message, "kept")
    assert isinstance(prepared.commit(), Delivered)  # type: ignore[union-attr]
    hook.script = [503]
    outcome = sms.prepare(message, "later").commit()  # type: ignore[union-attr]
    assert isinstance(outcome, Transient)
    assert not outcome.maybe_delivered  # the provider said no
    sms.close()
    time.sleep(0.2)
    assert hook.keys() == {"kept": 1, "later": 1}
    assert hook.arrivals[0][1]["to"] == "+4917012345"
    assert hook.arrivals[0][2] is True
