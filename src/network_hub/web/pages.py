"""The hub's pages: ``/`` (what is here), the staff console's sign-in and pages, the Get It
widget and the patron's network account (both embeddable), all server-rendered shells whose
small scripts call the hub's public API (see ``gateway.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from network_common.errors import DomainError

from ..runtime import HubRuntime
from . import session

HERE = Path(__file__).parent
STATIC_PREFIX = "/static/web"
_env = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(), auto_reload=False
)

#: Console pages are never framed; widget pages are made to be framed by discovery UIs.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; object-src 'none'; form-action 'self'; "
)
CONSOLE_HEADERS = {
    "content-security-policy": _CSP + "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}
WIDGET_HEADERS = {
    "content-security-policy": _CSP + "frame-ancestors *",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}
SIGN_IN_TIMEOUT_SECONDS = 10.0


def render(
    name: str, headers: dict[str, str] | None = None, status: int = 200, **context: Any
) -> HTMLResponse:
    html = _env.get_template(name).render(static=STATIC_PREFIX, **context)
    return HTMLResponse(html, status, headers=headers or CONSOLE_HEADERS)


def _runtime(request: Request) -> HubRuntime:
    runtime: HubRuntime = request.app.state.runtime
    return runtime


def _members(request: Request) -> list[dict[str, str]]:
    return [{"code": m.code, "name": m.name} for m in _runtime(request).registry.members]


async def home(request: Request) -> Response:
    return render(
        "home.html",
        introspection=_runtime(request).settings.introspection,
        demo_discovery=getattr(request.app.state, "demo_discovery_url", None),
    )


# --- sign-in / sign-out -------------------------------------------------------------------


def _sign_in_page(
    request: Request, *, error: str | None = None, status: int = 200, **form: str
) -> Response:
    notice = {
        "signed-out": "You are signed out.",
        "ended": "Your session has ended; sign in again.",
    }.get(request.query_params.get("notice", ""))
    return render(
        "sign_in.html",
        status=status,
        members=_members(request),
        error=error,
        notice=notice,
        form=form,
    )


async def sign_in_form(request: Request) -> Response:
    if await session.current(request) is not None:
        return RedirectResponse("/staff/activity", 303)
    return _sign_in_page(request)


async def _exchange(*, runtime: HubRuntime, code: str, form: dict[str, str]) -> tuple[str, int]:
    """Credentials → the operator's token, asked of the operator's own node (server side)."""
    client = runtime.registry.get(code)
    if client is None:
        raise ValueError("Choose your institution")
    if form.get("method") == "api_key":
        path, payload = "/auth/token", {"api_key": form.get("api_key", "")}
    else:
        path = "/auth/login"
        payload = {"username": form.get("username", ""), "password": form.get("password", "")}
    try:
        answer = await client.http.post(
            f"{client.member.url}{path}", json=payload, timeout=SIGN_IN_TIMEOUT_SECONDS
        )
    except httpx.HTTPError as exc:
        raise ValueError(f"{client.member.name} cannot be reached right now; try again") from exc
    try:
        body = answer.json()
    except ValueError:
        body = {}
    if answer.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
        error = body.get("error") if isinstance(body, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        raise ValueError(str(message or "Signing in did not work; check what you typed"))
    token = str(body["access_token"])
    try:
        principal = await runtime.callers.verify(token)
    except DomainError as exc:
        raise ValueError("Your institution's answer could not be checked") from exc
    if principal.kind != "staff" or principal.institution != code:
        raise ValueError("These credentials are not a staff member's of that institution")
    return token, int(body.get("expires_in") or 900)


async def sign_in(request: Request) -> Response:
    if not session.same_origin(request):
        return _sign_in_page(request, error="Sign in from this page.", status=403)
    form = await session.read_form(request)
    code = form.get("institution", "")
    try:
        token, ttl = await _exchange(runtime=_runtime(request), code=code, form=form)
    except ValueError as exc:
        kept = {"institution": code, "username": form.get("username", "")}
        return _sign_in_page(request, error=str(exc), status=401, **kept)
    response = RedirectResponse("/staff/activity", 303)
    response.set_cookie(
        session.COOKIE,
        token,
        max_age=ttl,
        path=session.COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


async def sign_out(request: Request) -> Response:
    found = await session.current(request)
    form = await session.read_form(request)
    if found is not None and not (
        session.same_origin(request)
        and session.csrf_ok(runtime=_runtime(request), token=found.token, given=form.get("csrf"))
    ):
        return RedirectResponse("/staff/activity", 303)
    response = RedirectResponse("/staff/sign-in?notice=signed-out", 303)
    response.delete_cookie(
        session.COOKIE, path=session.COOKIE_PATH, httponly=True, samesite="strict"
    )
    return response


# --- console pages ------------------------------------------------------------------------


def _console(name: str, script: str) -> Any:
    async def page(request: Request) -> Response:
        found = await session.current(request)
        if found is None:
            notice = "?notice=ended" if request.cookies.get(session.COOKIE) else ""
            response = RedirectResponse(f"/staff/sign-in{notice}", 303)
            response.delete_cookie(session.COOKIE, path=session.COOKIE_PATH)
            return response
        principal = found.principal
        member = _runtime(request).registry.get(principal.institution)
        operator = {
            "institution": principal.institution,
            "institutionName": member.member.name if member else principal.institution,
            "user": principal.primary_id,
        }
        return render(
            name,
            csrf=found.csrf,
            operator=operator,
            operator_json=json.dumps(operator),
            members_json=json.dumps(_members(request)),
            script=script,
            page=name.removesuffix(".html"),
        )

    return page


async def staff_root(request: Request) -> Response:
    return RedirectResponse("/staff/activity", 303)


activity = _console("activity.html", "activity.js")
desk = _console("desk.html", "desk.js")
walk_in = _console("walk_in.html", "walkin.js")
resource_sharing = _console("resource_sharing.html", "rs.js")
rs_partners = _console("rs_partners.html", "rs-partners.js")


# --- embeddable pages ---------------------------------------------------------------------


async def getit_widget(request: Request) -> Response:
    record = request.query_params.get("record", "")[:200]
    home_code = request.query_params.get("home", "")[:64]
    return render(
        "getit.html",
        headers=WIDGET_HEADERS,
        record=record,
        home=home_code,
        members_json=json.dumps(_members(request)),
    )


async def account_widget(request: Request) -> Response:
    return render(
        "account.html", headers=WIDGET_HEADERS, members_json=json.dumps(_members(request))
    )


async def widget_docs(request: Request) -> Response:
    return render(
        "widget_docs.html", demo_discovery=getattr(request.app.state, "demo_discovery_url", None)
    )
