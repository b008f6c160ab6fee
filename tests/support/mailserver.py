"""A real SMTP server in the test's event loop (aiosmtpd), to read what the node sent.

mail = MailServer()
await mail.start()              # on a free loopback port: mail.port
...                             # the node sends letters to it
mail.messages                   # parsed email.message.EmailMessage, in arrival order
await mail.stop()               # down: connections refused, open ones dropped
await mail.start()              # up again on the same port
mail.refuse.add("x@example.edu")   # RCPT TO for that address answers 550
"""

from __future__ import annotations

import asyncio
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.network import reserve_socket


class _Inbox:
    def __init__(self, owner: MailServer) -> None:
        self.owner = owner

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.owner.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.owner.messages.append(parsed)
        self.owner.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        self.owner.arrived.set()
        return "250 Message accepted"


class MailServer:
    def __init__(self) -> None:
        # Held until the first start: a port closed now could come back from another bind.
        self._sock: socket.socket | None = reserve_socket()
        self.port: int = self._sock.getsockname()[1]
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: set[str] = set()
        self.arrived = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._connections: list[SMTP] = []

    def _protocol(self) -> SMTP:
        smtp = SMTP(_Inbox(self), hostname="mail.test", ident="test-mail")
        self._connections.append(smtp)
        return smtp

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self._sock is not None:
            sock, self._sock = self._sock, None
            self._server = await loop.create_server(self._protocol, sock=sock)
            return
        # Back after a stop: the same port again.
        self._server = await loop.create_server(
            self._protocol, "127.0.0.1", self.port, reuse_address=True
        )

    async def stop(self) -> None:
        """Refuse new connections and drop the open ones (a mail server going down)."""
        if self._sock is not None:  # never started
            self._sock.close()
            self._sock = None
        if self._server is None:
            return
        self._server.close()
        for smtp in self._connections:
            if smtp.transport is not None:
                smtp.transport.close()
        self._connections.clear()
        await self._server.wait_closed()
        self._server = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]
