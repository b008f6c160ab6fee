"""Prometheus metrics and structured (JSON) logs, shared by node and hub apps."""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Metrics:
    """One registry per app, so several apps can live in one process (tests, demo)."""

    def __init__(self, app_name: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests",
            ["app", "path", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency",
            ["app", "path"],
            registry=self.registry,
        )
        self.app_name = app_name

    async def endpoint(self, _request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

    def guarded_endpoint(
        self, token: str | None
    ) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """``/metrics`` as served by the apps: never to the public by default.

        With ``token`` (``*_METRICS_TOKEN``): only to ``Authorization: Bearer <token>``, from
        anywhere (Prometheus' ``authorization`` setting). Without it: only to clients on
        this host connecting directly (loopback, and no proxy's forwarding header, since a
        reverse proxy on the same host would otherwise publish it); anyone else gets 404.
        """

        async def metrics(request: Request) -> Response:
            if token:
                scheme, _, given = request.headers.get("authorization", "").partition(" ")
                if scheme.lower() != "bearer":
                    given = ""
                if not hmac.compare_digest(given.strip().encode(), token.encode()):
                    return Response(
                        "metrics need the bearer token\n",
                        status_code=401,
                        headers={"www-authenticate": "Bearer"},
                        media_type="text/plain",
                    )
            elif not _direct_local(request):
                return Response("Not Found\n", status_code=404, media_type="text/plain")
            return await self.endpoint(request)

        return metrics


_FORWARDING = ("x-forwarded-for", "forwarded", "x-real-ip")


def _direct_local(request: Request) -> bool:
    if any(h in request.headers for h in _FORWARDING) or request.client is None:
        return False
    try:
        return ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


#: Methods counted by name; any other (a client may send anything) counts as "other".
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


#: Where each request's access line goes (``RequestMeter``); the servers run uvicorn with its
#: own access log off.
ACCESS_LOG = logging.getLogger("network_common.access")


def _access_line(scope: Scope, status: int) -> None:
    """uvicorn's access line (``client - "METHOD path?query HTTP/v" status``, the path
    quoted) for a request whose answer has gone out, with only the names of the query's
    parameters: their values can be patron data (a GraphQL GET's variables), which the logs
    never hold. uvicorn writes its line when the answer starts, before the body is sent:
    ~0.1 ms of every request's latency."""
    client = scope.get("client")
    target = quote(scope["path"])
    query = scope.get("query_string")
    if query:
        names = (part.split("=", 1)[0] for part in query.decode("latin-1").split("&"))
        target = f"{target}?{'&'.join(quote(name) for name in names)}"
    ACCESS_LOG.info(
        '%s - "%s %s HTTP/%s" %d',
        f"{client[0]}:{int(client[1])}" if client else "",
        scope["method"],
        target,
        scope["http_version"],
        status,
    )


class RequestMeter:
    """Counts and times requests by route path (known paths only, to bound cardinality);
    the labelled series are looked up once each, not on every request. Each request also
    gets an access line once its answer was sent (``_access_line``)."""

    def __init__(self, metrics: Metrics, paths: frozenset[str]) -> None:
        self.metrics = metrics
        self.paths = paths
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._timers: dict[str, Any] = {}

    def record(self, path: str, method: str, status: int, seconds: float) -> None:
        path = path if path in self.paths else "other"
        method = method if method in _METHODS else "other"
        key = (path, method, status)
        counter = self._counters.get(key)
        if counter is None:
            name = self.metrics.app_name
            counter = self._counters[key] = self.metrics.requests.labels(
                name, path, method, str(status)
            )
        counter.inc()
        timer = self._timers.get(path)
        if timer is None:
            timer = self._timers[path] = self.metrics.latency.labels(self.metrics.app_name, path)
        timer.observe(seconds)

    async def serve(self, scope: Scope, receive: Receive, send: Send, app: ASGIApp) -> None:
        """``app`` answering one HTTP request, counted and timed (500 if it raised)."""
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        finally:
            self.record(scope["path"], scope["method"], status, time.perf_counter() - started)
            if ACCESS_LOG.isEnabledFor(logging.INFO):
                _access_line(scope, status)


class MetricsMiddleware:
    """Every HTTP request through ``meter``."""

    def __init__(self, app: ASGIApp, meter: RequestMeter) -> None:
        self.app = app
        self.meter = meter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.meter.serve(scope, receive, send, self.app)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class JobMetrics:
    """Scheduled jobs (``network_common.jobs``) on an app's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.runs = Counter(
            "job_runs_total",
            "Scheduled job runs by outcome (ok, failed, locked, not_due)",
            ["job", "outcome"],
            registry=registry,
        )
        self.last_run = Gauge(
            "job_last_run_timestamp_seconds",
            "When this process last finished running the job (Unix time)",
            ["job"],
            registry=registry,
        )
        self.last_success = Gauge(
            "job_last_success_timestamp_seconds",
            "When this process last finished the job successfully (Unix time)",
            ["job"],
            registry=registry,
        )
        self.duration = Gauge(
            "job_last_duration_seconds",
            "How long the job's last run in this process took",
            ["job"],
            registry=registry,
        )
        self.running = Gauge(
            "job_running", "1 while this process runs the job", ["job"], registry=registry
        )

    def observe(self, job: str, outcome: str, duration: float | None) -> None:
        self.runs.labels(job, outcome).inc()
        if duration is None:
            return
        self.last_run.labels(job).set_to_current_time()
        self.duration.labels(job).set(duration)
        if outcome == "ok":
            self.last_success.labels(job).set_to_current_time()
