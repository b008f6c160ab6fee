"""``POST /iso18626``: partners' ISO 18626 messages, answered with a Confirmation, never a
crash.

One message, in order (each step answers an ERROR confirmation and stops when it fails):

1. the body is read up to ``NODE_ISO18626_MAX_BYTES`` (more: HTTP 413, BadlyFormedMessage;
   a declared Content-Length beyond it is refused before anything is read);
2. it is parsed safely and fixed up (``wire``); XSD findings are logged as warnings;
3. the sender must be a known, active partner proving who it is (``auth``): otherwise
   HTTP 401, nothing looked at further and nothing changed;
4. the message is decoded (``codec``: BadlyFormedMessage, UnsupportedActionType,
   UnrecognisedDataValue ...) and must come from that partner's own agency id (else 401);
5. the step runs once (``handlers``: deduplicated); a step the request's state does not
   allow is UnrecognisedDataValue naming why. Anything unexpected is logged here with its
   traceback and answered HTTP 503 with an ERROR confirmation (send it again later),
   without a word of the exception.

Every other answer is HTTP 200 ``application/xml``; every answer is built in the
namespace and checked against the XSD before it leaves (a failure is logged as an error).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from network_common.body_limit import BodyIncomplete, BodyTooLarge, read_body

from ..runtime import NodeRuntime
from . import handlers
from .auth import PartnerKeys, authenticate, is_agency
from .codec import Facts, confirmation, decode, facts
from .errors import ErrorType, IsoError
from .wire import Parsed, find_text, message, parse, schema_errors, serialize

log = logging.getLogger("institution_node.iso18626")

MEDIA_TYPE = "application/xml; charset=utf-8"
REFUSED = "The sender is not a known, authenticated partner of this library"
TEMPORARY = "The message could not be processed now; send it again later"


def _now() -> datetime:
    return datetime.now(UTC)


def error_answer(echo: Facts, error: IsoError, *, received_at: datetime) -> bytes:
    root = message(confirmation(echo, now=_now(), received_at=received_at, error=error))
    check_answer(root)
    return serialize(root)


def check_answer(root: Any) -> None:
    """Log (as an error: a bug of this node) an answer that breaks the XSD."""
    if findings := schema_errors(root):
        log.error("iso18626: answer breaks the XSD: %s", " | ".join(findings))


class Iso18626Endpoint:
    """The responder (``Route("/iso18626", endpoint.handle, methods=["POST"])``)."""

    def __init__(self, runtime: NodeRuntime) -> None:
        self.runtime = runtime
        self.keys = PartnerKeys(runtime.http)
        #: SQLite: this process's message transactions take the write lock in turn.
        self.writer = asyncio.Lock() if runtime.engine.dialect.name == "sqlite" else None

    @property
    def max_bytes(self) -> int:
        return self.runtime.settings.iso18626_max_bytes

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        received_at = _now()
        try:
            body = await read_body(request, max_bytes=self.max_bytes)
        except BodyTooLarge:
            error = IsoError(
                ErrorType.BADLY_FORMED_MESSAGE,
                f"The message is larger than {self.max_bytes} bytes",
            )
            answer = error_answer(facts(None), error, received_at=received_at)
            self._metrics("other", "too_large", started)
            return _xml(answer, status=413)
        except BodyIncomplete:
            return Response(status_code=400)  # the client left: nobody reads an answer
        status, answer, (message_label, outcome) = await self.answer(
            body, bearer=_bearer(request), received_at=received_at
        )
        self._metrics(message_label, outcome, started)
        return _xml(answer, status=status)

    def _metrics(self, message_label: str, outcome: str, started: float) -> None:
        self.runtime.iso18626_metrics.incoming(
            message_label, outcome, time.perf_counter() - started
        )

    async def answer(
        self, body: bytes, *, bearer: str | None, received_at: datetime
    ) -> tuple[int, bytes, tuple[str, str]]:
        """(HTTP status, the confirmation's bytes, (message, outcome) for the metrics)."""
        parsed: Parsed | None = None
        echo = facts(None)
        try:
            parsed = parse(body)
            echo = facts(parsed)
            if parsed.fixes:
                log.info("iso18626: %s fixed up: %s", parsed.kind, "; ".join(parsed.fixes))
            if findings := schema_errors(parsed.root):
                log.warning("iso18626: %s breaks the XSD: %s", parsed.kind, " | ".join(findings))
            own_code = await self.runtime.institution_code()
            security_code = find_text(
                parsed.message, "header", "requestingAgencyAuthentication", "securityCode"
            )
            async with self.runtime.read_session() as session:
                partner = await authenticate(
                    session,
                    bearer=bearer,
                    security_code=security_code,
                    own_code=own_code,
                    keys=self.keys,
                )
            if partner is None:
                return 401, self._refusal(echo, received_at), (parsed.kind, "refused")
            incoming = decode(parsed)
            if not is_agency(partner, incoming.sender):
                log.warning(
                    "iso18626: partner %s sent a message as agency %s:%s",
                    partner.code,
                    *incoming.sender,
                )
                return 401, self._refusal(echo, received_at), (parsed.kind, "refused")
            answer = await handlers.handle(
                self.runtime.sessions,
                partner_id=partner.id,
                incoming=incoming,
                echo=echo,
                own_code=own_code,
                received_at=received_at,
                now=_now(),
                writer=self.writer,
            )
        except IsoError as error:
            label = (parsed.kind if parsed else "other", error.error_type.value)
            return 200, error_answer(echo, error, received_at=received_at), label
        except Exception:
            log.exception("iso18626: %s failed", parsed.kind if parsed else "message")
            failure = IsoError(ErrorType.BADLY_FORMED_MESSAGE, TEMPORARY)
            label = (parsed.kind if parsed else "other", "failure")
            return 503, error_answer(echo, failure, received_at=received_at), label
        return 200, answer, (parsed.kind, "ok")

    def _refusal(self, echo: Facts, received_at: datetime) -> bytes:
        error = IsoError(ErrorType.UNRECOGNISED_DATA_VALUE, REFUSED)
        return error_answer(echo, error, received_at=received_at)


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _xml(body: bytes, *, status: int = 200) -> Response:
    headers = {"www-authenticate": "Bearer"} if status == 401 else None
    return Response(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)
