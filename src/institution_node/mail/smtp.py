"""The ``email`` channel's sender: letters over SMTP with a few kept connections.

Errors map onto the outbox's: a server that cannot be reached (refused, timed out,
dropped) is :class:`ChannelUnavailable`; a 5xx answer (unknown mailbox, refused sender)
is :class:`PermanentFailure`; a 4xx answer is a retry later.
"""

from __future__ import annotations

import time
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate
from typing import Any

import aiosmtplib

from ..outbox import ChannelUnavailable, DeliveryError, OutboundMessage, PermanentFailure, Sender

#: A connection idle longer than this is checked (NOOP) before it carries a letter.
_IDLE_CHECK_SECONDS = 5.0


def _line(value: object) -> str:
    """A header value on one line (no CR/LF can start another header)."""
    return " ".join(str(value or "").split())


def _header(value: str) -> str:
    """Non-ASCII text as an RFC 2047 encoded word."""
    return value if value.isascii() else Header(value, "utf-8").encode()


class SmtpSender(Sender):
    channel = "email"
    #: A letter whose send was interrupted may have arrived: never send it again.
    retry_interrupted = False

    def __init__(
        self,
        *,
        host: str,
        port: int,
        mail_from: str,
        username: str | None = None,
        password: str | None = None,
        use_tls: bool = False,
        start_tls: bool = False,
        timeout: float = 30.0,
        connections: int = 4,
    ) -> None:
        self.concurrency = max(1, connections)
        self.mail_from = mail_from
        self._options: dict[str, Any] = {
            "hostname": host,
            "port": port,
            "username": username or None,
            "password": password or None,
            "use_tls": use_tls,
            # None lets aiosmtplib upgrade when the server offers it; True requires it.
            "start_tls": True if start_tls else (False if use_tls else None),
            "timeout": timeout,
        }
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []

    def build(self, message: OutboundMessage) -> MIMEText:
        """The e-mail for an outbox message of this channel.

        Built with the classic (compat32) message classes: the modern ``EmailMessage``
        parses every header it is given and cost most of a send's time. Every header
        value is made one line here, so nothing in a name or address can add a header."""
        p = message.payload
        email = MIMEText(str(p.get("text") or ""), "plain", "utf-8")
        email["From"] = formataddr((_line(p.get("from_name")), self.mail_from), charset="utf-8")
        email["To"] = _line(p["to"])
        if p.get("reply_to"):
            email["Reply-To"] = _line(p["reply_to"])
        email["Subject"] = _header(_line(p.get("subject")))
        email["Date"] = formatdate(usegmt=True)
        domain = self.mail_from.rpartition("@")[2] or "localhost"
        email["Message-ID"] = f"<{_line(p.get('message_key') or message.id)}@{domain}>"
        if p.get("letter"):
            email["X-Letter-Type"] = _header(_line(p["letter"]))
        email["Auto-Submitted"] = "auto-generated"
        return email

    async def send(self, message: OutboundMessage) -> None:
        email = self.build(message)
        client = await self._checkout()
        try:
            await client.send_message(email, sender=self.mail_from)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            await self._discard(client)
            codes = [r.code for r in exc.recipients]
            text = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
            if codes and all(c >= 500 for c in codes):
                raise PermanentFailure(f"recipient refused: {text}") from exc
            raise DeliveryError(f"recipient deferred: {text}") from exc
        except (
            aiosmtplib.SMTPServerDisconnected,
            aiosmtplib.SMTPConnectError,
            aiosmtplib.SMTPTimeoutError,
            OSError,
        ) as exc:
            await self._discard(client)
            raise ChannelUnavailable(f"mail server unreachable: {exc}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            await self._discard(client)
            text = f"{exc.code} {exc.message}"
            if exc.code >= 500:
                raise PermanentFailure(text) from exc
            raise DeliveryError(text) from exc
        except aiosmtplib.SMTPException as exc:
            await self._discard(client)
            raise DeliveryError(str(exc)) from exc
        self._idle.append((client, time.monotonic()))

    async def _checkout(self) -> aiosmtplib.SMTP:
        while self._idle:
            client, since = self._idle.pop()
            if not client.is_connected:
                continue
            if time.monotonic() - since < _IDLE_CHECK_SECONDS:
                return client
            try:
                await client.noop()
                return client
            except aiosmtplib.SMTPException:
                await self._discard(client)
        client = aiosmtplib.SMTP(**self._options)
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            await self._discard(client)
            raise ChannelUnavailable(f"mail server unreachable: {exc}") from exc
        return client

    async def _discard(self, client: aiosmtplib.SMTP) -> None:
        if client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for client, _ in idle:
            await self._discard(client)
