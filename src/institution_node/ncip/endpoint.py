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
    #: This node's agency id as the caller addressed it (its ``ToAgencyId``).
    ours: str


@dataclass(frozen=True, slots=True)
class Exchange:
    """One authenticated, decoded message for a handler."""

    service: str
    #: None only in the problem hook when the message could not be decoded.
    message: Message | None
    caller: Caller
    body: bytes

    @property
    def parties(self) -> Parties:
        return Parties(ours=self.caller.ours, theirs=self.caller.agency_id)


class Directory(Protocol):
    """Finds and authenticates the broker a message comes from."""

    async def authenticate(self, header: Header, bearer: str | None) -> Caller: ...


#: A service's handler: the serialized answer (success), or it raises NcipProblem /
#: DomainError having changed nothing.
Handler = Callable[[Exchange], Awaitable[bytes]]


#: Called with the Problem answer given to an authenticated caller (kept as history).
ProblemHook = Callable[[Exchange, bytes, str], Awaitable[None]]


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
    """The responder; ``handlers`` maps service names to their handler."""

    def __init__(
        self,
        *,
        directory: Directory,
        handlers: dict[str, Handler],
        metrics: NcipMetrics,
        max_bytes: int,
        on_problem: ProblemHook | None = None,
    ) -> None:
        self.directory = directory
        self.handlers = handlers
        self.metrics = metrics
        self.max_bytes = max_bytes
        self.on_problem = on_problem

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
        service, answer, outcome = await self.answer(body, bearer=_bearer(request))
        self.metrics.count("in", service, outcome)
        self.metrics.seconds.labels(service).observe(time.perf_counter() - started)
        return _xml(answer)

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

    async def answer(self, body: bytes, *, bearer: str | None) -> tuple[str, bytes, str]:
        """(service label, the answer's bytes, its outcome: ``ok`` or the problem)."""
        service: str | None = None
        exchange: Exchange | None = None
        caller: Caller | None = None
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
            caller = await self.directory.authenticate(read_header(parsed.service), bearer)
            message = decode(parsed.service)
            exchange = Exchange(service=service, message=message, caller=caller, body=body)
            answer = await self.handlers[service](exchange)
        except NcipProblem as problem:
            return await self._problem(service, problem, caller, body)
        except DomainError as error:
            return await self._problem(service, problem_for(error, service), caller, body)
        except Exception:
            log.exception("ncip: %s message failed", service or "unreadable")
            failure = NcipProblem(
                ProblemType.TEMPORARY_PROCESSING_FAILURE,
                "The message could not be processed now; try again later",
            )
            return await self._problem(service, failure, caller, body)
        return service, answer, "ok"

    async def _problem(
        self, service: str | None, problem: NcipProblem, caller: Caller | None, body: bytes
    ) -> tuple[str, bytes, str]:
        known = service if service in DECODERS else None
        parties = Parties(ours=caller.ours, theirs=caller.agency_id) if caller else None
        root = problem_response(known, [problem], parties)
        check_answer(known, root)
        answer = serialize(root)
        outcome = _outcome(problem)
        log.info(
            "ncip: %s from %s answered %s (%s)",
            known or "unreadable message",
            caller.code if caller else "an unauthenticated caller",
            problem.problem.value,
            problem.element or "-",
        )
        if caller is not None and known is not None and self.on_problem is not None:
            try:
                await self.on_problem(
                    Exchange(service=known, message=None, caller=caller, body=body),
                    answer,
                    problem.problem.value,
                )
            except Exception:  # the history must not turn an answer into a failure
                log.exception("ncip: could not record the problem answer to %s", known)
        label = known or (_UNREADABLE if service is None else _OTHER)
        return label, answer, outcome


def check_answer(service: str | None, root: Any) -> None:
    """Log (as an error: a bug of this node) an answer that breaks the XSD."""
    if findings := schema_errors(root):
        log.error("ncip: answer to %s breaks the XSD: %s", service, " | ".join(findings))


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _xml(body: bytes, *, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=MEDIA_TYPE)
