"""The ``email`` channel's sender: letters over SMTP with a few kept connections.

Errors map onto the outbox's: a server that cannot be reached (refused, timed out,
dropped) is :class:`ChannelUnavailable`; a 5xx answer (unknown mailbox, refused sender)
is :class:`PermanentFailure`; a 4xx answer is a retry later.
"""

from __future__ import annotations

import time
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import Any

import aiosmtplib

from ..outbox import ChannelUnavailable, DeliveryError, OutboundMessage, PermanentFailure, Sender

#: A connection idle longer than this is checked (NOOP) before it carries a letter.
_IDLE_CHECK_SECONDS = 5.0


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

    def build(self, message: OutboundMessage) -> EmailMessage:
        """The e-mail for an outbox message of this channel."""
        p = message.payload
        email = EmailMessage()
        email["From"] = formataddr((str(p.get("from_name") or ""), self.mail_from))
        email["To"] = str(p["to"])
        if p.get("reply_to"):
            email["Reply-To"] = str(p["reply_to"])
        email["Subject"] = str(p.get("subject") or "")
        email["Date"] = formatdate(usegmt=True)
        domain = self.mail_from.rpartition("@")[2] or "localhost"
        email["Message-ID"] = f"<{p.get('message_key') or message.id}@{domain}>"
        if p.get("letter"):
            email["X-Letter-Type"] = str(p["letter"])
        email["Auto-Submitted"] = "auto-generated"
        email.set_content(str(p.get("text") or ""))
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
