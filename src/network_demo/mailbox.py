"""The demo's mail server: every letter the members e-mail lands in ``<data-dir>/mail/``.

A real SMTP server (aiosmtpd) in the demo's event loop on loopback. Each message is saved
as ``<n>-<member>.eml`` (open it with any mail client, or read it as text) and listed in
``index.txt`` (time, From, To, Reply-To, Subject), so the tour can show a letter's owner
and reply-to address. Nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


class _Saver:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = len(list(folder.glob("*.eml")))

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message = message_from_bytes(raw, policy=policy.default)
        self.count += 1
        sender = str(envelope.mail_from or "").partition("@")[2].split(".")[0] or "mail"
        (self.folder / f"{self.count:05d}-{sender}.eml").write_bytes(raw)
        line = " | ".join(
            [
                datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                f"From: {message['From']}",
                f"To: {message['To']}",
                f"Reply-To: {message['Reply-To'] or '-'}",
                f"Subject: {message['Subject']}",
            ]
        )
        with (self.folder / "index.txt").open("a", encoding="utf-8") as index:
            index.write(line + "\n")
        return "250 Saved"


class DemoMailbox:
    def __init__(self, folder: Path, sock: socket.socket) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.sock = sock
        self._server: asyncio.Server | None = None
        self._saver = _Saver(folder)

    @property
    def port(self) -> int:
        port: int = self.sock.getsockname()[1]
        return port

    async def start(self) -> None:
        loop = asyncio.get_running_loop()

        def protocol() -> Any:
            return SMTP(self._saver, hostname="demo-mail.local", ident="network-demo mail")

        self.sock.listen(64)
        self._server = await loop.create_server(protocol, sock=self.sock)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
