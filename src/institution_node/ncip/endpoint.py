"""``POST /ncip``: the broker's NCIP v2 calls, answered in NCIP and never with a crash.

One message, in order (each step answers a Problem and stops when it fails):

1. the body is read up to ``NODE_NCIP_MAX_BYTES`` (more: HTTP 413 with a Problem);
2. it is parsed safely and fixed up (``wire``); XSD findings are logged as warnings;
3. the service must be one the node offers (Unknown / Unsupported Service);
4. the calling agency must be a known broker partner presenting its secret, in
   ``FromAgencyAuthentication`` or as ``Authorization: Bearer <secret>`` (Unknown Agency /
   Agency Authentication Failed), before any field of the message is looked at further;
5. the fields the service needs are checked (``messages``: Needed Data Missing, ...);
6. the service's handler runs: domain errors become the service's Problem types, anything
   unexpected is logged here with its traceback and answered Temporary Processing Failure
   (the broker may retry) without a word of the exception.

Every answer is HTTP 200 ``application/xml`` except the size refusal; every answer is
checked against the XSD before it leaves (a failure is logged as an error: a bug here).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from network_common.errors import DomainError

from .messages import DECODERS, Header, Message, decode, read_header
from .problem_map import problem_for
from .problems import NcipProblem, ProblemType
from .responses import Parties, problem_response
from .wire import parse, schema_errors, serialize

log = logging.getLogger("institution_node.ncip")

MEDIA_TYPE = "application/xml; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated broker partner a message comes from."""

    partner_id: int
    code: str
    agency_id: str


class Directory(Protocol):
    """Finds and authenticates the broker a message comes from."""

    async def authenticate(self, header: Header, bearer: str | None) -> Caller: ...

    @property
    def agency_id(self) -> str:
        """This node's own NCIP agency id (``FromAgencyId`` of its answers)."""
        ...


Handler = Callable[[Message, Caller, Parties], Awaitable[Any]]


class NcipMetrics:
    """``ncip_messages_total{direction, service, outcome}`` and the handling time."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.messages = Counter(
            "ncip_messages_total",
            "NCIP messages by direction, service and outcome (ok or the problem type)",
            ["direction", "service", "outcome"],
            registry=registry,
        )
        self.seconds = Histogram(
            "ncip_message_seconds",
            "Time to answer one NCIP message",
            ["service"],
            registry=registry,
        )

    def count(self, direction: str, service: str, outcome: str) -> None:
        self.messages.labels(direction, service, outcome).inc()


#: Label values are bounded: known services, or one of these.
_UNREADABLE, _OTHER = "unreadable", "other"


def _outcome(problem: NcipProblem | None) -> str:
    return "ok" if problem is None else problem.problem.name.lower()


class NcipEndpoint:
    """The ASGI-facing responder; ``handlers`` maps service names to their handler."""

    def __init__(
        self,
        *,
        directory: Directory,
        handlers: dict[str, Handler],
        metrics: NcipMetrics,
        max_bytes: int,
    ) -> None:
        self.directory = directory
        self.handlers = handlers
        self.metrics = metrics
        self.max_bytes = max_bytes

    async def handle(self, request: Request) -> Response:
        """The Starlette endpoint (``Route("/ncip", responder.handle)``)."""
        started = time.perf_counter()
        body = await self._body(request)
        if body is None:
            too_large = NcipProblem(
                ProblemType.INVALID_MESSAGE_SYNTAX,
                f"The message is larger than {self.max_bytes} bytes",
            )
            self.metrics.count("in", _UNREADABLE, _outcome(too_large))
            return _xml(serialize(problem_response(None, [too_large])), status=413)
        service, root, problem = await self.answer(body, bearer=_bearer(request))
        self.metrics.count("in", service, _outcome(problem))
        self.metrics.seconds.labels(service).observe(time.perf_counter() - started)
        return _xml(serialize(root))

    async def _body(self, request: Request) -> bytes | None:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            return None
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > self.max_bytes:
                    return None
                chunks.append(chunk)
        except ClientDisconnect:
            return b""
        return b"".join(chunks)

    async def answer(
        self, body: bytes, *, bearer: str | None
    ) -> tuple[str, Any, NcipProblem | None]:
        """(service label, answer root, the problem answered or None)."""
        service: str | None = None
        parties: Parties | None = None
        try:
            parsed = parse(body)
            service = parsed.service_name
            if parsed.fixes:
                log.warning("ncip: %s message fixed up: %s", service, "; ".join(parsed.fixes))
            if findings := schema_errors(parsed.root):
                log.warning("ncip: %s message breaks the XSD: %s", service, " | ".join(findings))
            if service not in DECODERS:
                decode(parsed.service)  # raises Unknown / Unsupported Service
            if service not in self.handlers:
                raise NcipProblem(
                    ProblemType.UNSUPPORTED_SERVICE,
                    "This node does not offer that service",
                    element=service,
                )
            header = read_header(parsed.service)
            parties = Parties(ours=self.directory.agency_id, theirs=header.from_agency)
            caller = await self.directory.authenticate(header, bearer)
            message = decode(parsed.service)
            root = await self.handlers[service](message, caller, parties)
        except NcipProblem as problem:
            return self._problem(service, problem, parties)
        except DomainError as error:
            return self._problem(service, problem_for(error, service), parties)
        except Exception:
            log.exception("ncip: %s message failed", service or "unreadable")
            failure = NcipProblem(
                ProblemType.TEMPORARY_PROCESSING_FAILURE,
                "The message could not be processed now; try again later",
            )
            return self._problem(service, failure, parties)
        self._check(service, root)
        return service, root, None

    def _problem(
        self, service: str | None, problem: NcipProblem, parties: Parties | None
    ) -> tuple[str, Any, NcipProblem]:
        root = problem_response(service if service in DECODERS else None, [problem], parties)
        self._check(service, root)
        label = service if service in DECODERS else (_UNREADABLE if service is None else _OTHER)
        return label, root, problem

    @staticmethod
    def _check(service: str | None, root: Any) -> None:
        if findings := schema_errors(root):
            log.error("ncip: answer to %s breaks the XSD: %s", service, " | ".join(findings))


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _xml(body: bytes, *, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=MEDIA_TYPE)
