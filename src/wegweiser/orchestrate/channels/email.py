"""Email over SMTP (stdlib ``smtplib``/``email``): multipart text + HTML, one-click
``List-Unsubscribe``, a ``Message-ID`` derived from the idempotency key.

SMTP takes no idempotency key (``idempotent = False``): a message whose fate a crash or a
timeout after ``DATA`` left open is ``unknown`` in the ledger, never sent again. Errors
before ``DATA`` (refused connection, 4xx replies) surely did not deliver and are retried;
5xx replies are terminal. One connection is kept open and reused.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import smtplib
import socket
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr
from typing import TYPE_CHECKING

from wegweiser.orchestrate.channels import Delivered, Message, Outcome
from wegweiser.orchestrate.channels._connections import PerThread
from wegweiser.orchestrate.errors import Terminal, Transient

if TYPE_CHECKING:
    from email.mime.base import MIMEBase

    from wegweiser.orchestrate.settings import EmailSettings


def build(message: Message, idempotency_key: str, *, sender: str) -> MIMEBase:
    """The MIME message: ``multipart/alternative`` (text, then HTML) or plain text alone.

    Built with the ``compat32`` classes: the same bytes on the wire, a tenth of the time of
    ``EmailMessage``'s header parsing (which dominated sending to a local server).
    """
    text = MIMEText(message.text, "plain", "utf-8")
    mail: MIMEBase
    if message.html is not None:
        mail = MIMEMultipart("alternative")
        mail.attach(text)
        mail.attach(MIMEText(message.html, "html", "utf-8"))
    else:
        mail = text
    name, address = parseaddr(sender)
    mail["From"] = formataddr((name, address), charset="utf-8")
    mail["To"] = message.to or ""
    mail["Subject"] = Header(message.subject, "utf-8").encode() if not message.subject.isascii() \
        else message.subject
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    mail["Message-ID"] = f"<{digest}@wegweiser.journeys>"
    mail["X-Wegweiser-Key"] = idempotency_key
    mail["X-Wegweiser-Journey"] = f"{message.journey}/{message.step}/{message.variant}"
    if message.unsubscribe_url:
        mail["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return mail


class EmailChannel:
    name = "email"
    idempotent = False

    def __init__(
        self, settings: EmailSettings, *, username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.settings = settings
        self.username = username
        self.password = password
        self._connections: PerThread[smtplib.SMTP] = PerThread(
            self._open_connection, close_=_close_quietly)

    def _open_connection(self) -> smtplib.SMTP:
        s = self.settings
        conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
        if conn.sock is not None:  # the last "." alone must not wait for Nagle
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.ehlo()
        if s.starttls:
            conn.starttls()
            conn.ehlo()
        if self.username and self.password:
            conn.login(self.username, self.password)
        return conn

    def _connection(self) -> smtplib.SMTP:
        return self._connections.get()

    def _drop(self) -> None:
        self._connections.drop()

    def send(self, message: Message, idempotency_key: str) -> Outcome:
        prepared = self.prepare(message, idempotency_key)
        return prepared.commit() if isinstance(prepared, _PreparedMail) else prepared

    def prepare(self, message: Message, idempotency_key: str) -> _PreparedMail | Outcome:
        """Envelope, ``DATA`` and the whole message but its final ``.``: nothing is
        delivered until :meth:`_PreparedMail.commit` (a connection lost before that makes the
        server drop the message)."""
        if not message.to:
            return Terminal("no email address")
        mail = build(message, idempotency_key, sender=self.settings.from_address)
        body = re.sub(rb"\r\n|\n|\r(?!\n)", b"\r\n", mail.as_bytes())  # as smtplib does
        body = re.sub(rb"(?m)^\.", b"..", body)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        for fresh in (False, True):
            try:
                if fresh:
                    self._drop()
                conn = self._connection()
                code, reply = conn.mail(self.settings.from_address)
                if code != 250:
                    return self._refused(code, reply, "MAIL FROM")
                code, reply = conn.rcpt(message.to)
                if code not in (250, 251):
                    conn.rset()
                    return self._refused(code, reply, "RCPT TO")
                code, reply = conn.docmd("DATA")
                if code != 354:
                    conn.rset()
                    return self._refused(code, reply, "DATA")
                conn.send(body)
            except smtplib.SMTPServerDisconnected:
                if not fresh:
                    continue  # a kept connection the server had closed: once more, anew
                return Transient("SMTP server closed the connection before the end of DATA")
            except (OSError, smtplib.SMTPException) as exc:
                self._drop()
                return Transient(f"SMTP {self.settings.host}:{self.settings.port}: {exc}")
            return _PreparedMail(self, conn)
        raise AssertionError("unreachable")

    def _refused(self, code: int, reply: bytes | str, stage: str) -> Outcome:
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        if 400 <= code < 500:
            return Transient(f"SMTP {stage} refused for now: {code} {text}")
        return Terminal(f"SMTP {stage} refused: {code} {text}")

    def close(self) -> None:
        """Close every thread's connection."""
        self._connections.close_all()


def _close_quietly(conn: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        conn.close()


class _PreparedMail:
    def __init__(self, channel: EmailChannel, conn: smtplib.SMTP) -> None:
        self.channel = channel
        self.conn = conn

    def commit(self) -> Outcome:
        try:
            self.conn.send(b".\r\n")
            code, reply = self.conn.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            self.channel._drop()
            return Transient(f"SMTP connection lost at the end of DATA: {exc}",
                             maybe_delivered=True)
        if code != 250:
            return self.channel._refused(code, reply, "DATA")
        return Delivered(reply.decode(errors="replace"))

    def abort(self) -> None:
        self.channel._drop()  # the server drops a message whose DATA never ended
