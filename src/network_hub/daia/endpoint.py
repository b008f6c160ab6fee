"""``GET /daia?id=…[&id=…]&format=json``: DAIA 1.0 availability, as an anonymous viewer sees it.

Request identifiers come from every ``id`` parameter, each split at ``|`` (DAIA's own way of
asking for several). Each member is asked once per request, whatever the number of ids (one
``availability`` document with all of them, all members concurrently). Errors answer in
DAIA's error form ``{"error", "code", "error_description"}``: 422 for a missing or bad
parameter (``format`` other than ``json``, too many or too long identifiers), 405 for another
method, 501 for patron-specific availability (not offered), 502/504 when no member could
answer. A member that cannot answer leaves its items out and is named in the
``X-Unavailable-Members`` header; unknown identifiers simply get no document.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..members.client import MemberClient
from ..members.failures import MemberFailure, UnavailableCode
from ..runtime import HubRuntime
from .documents import MemberAvailability, record_id_of, response

#: At most this many request identifiers per request (DAIA lets a server refuse more: 422).
MAX_IDS = 100
MAX_ID_LENGTH = 200
#: The raw query string is refused beyond this, before it is parsed.
MAX_QUERY_BYTES = 32 * 1024
DAIA_VERSION = "1.0.0"
_CALLBACK = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_HEADERS = {
    "x-daia-version": DAIA_VERSION,
    "access-control-allow-origin": "*",
    "content-language": "en",
    "cache-control": "no-store",
}

DOCUMENT = """
query HubDaia($ids: [String!]!) {
  member { uresolverRemoteRegister pickupAnywhere }
  availability(recordIds: $ids, viewer: null, detail: FULL) {
    institutionName
    records {
      recordId found title
      holdings { libraryCode libraryName location callNumber
                 items { barcode status dueAt loanable } }
    }
  }
}
"""


class DaiaError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


def _json(body: dict[str, Any], status: int, callback: str | None, suppress: bool) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    if callback:
        return Response(
            f"/**/{callback}({text});",
            200 if suppress else status,
            headers=_HEADERS,
            media_type="application/javascript; charset=utf-8",
        )
    return Response(
        text, 200 if suppress else status, headers=_HEADERS, media_type="application/json"
    )


def _identifiers(request: Request) -> list[tuple[str, str]]:
    """(request identifier, record id) pairs, distinct records, in the order asked."""
    params = request.query_params
    if params.get("format") != "json":
        raise DaiaError(422, "invalid_request", "Give format=json")
    for unsupported in ("patron", "patron-type", "access_token"):
        if unsupported in params:
            raise DaiaError(
                501, "not_implemented", "Patron-specific availability is not offered here"
            )
    wanted: list[tuple[str, str]] = []
    seen: set[str] = set()
    for value in params.getlist("id"):
        for identifier in value.split("|"):
            identifier = identifier.strip()
            if not identifier:
                continue
            if len(identifier) > MAX_ID_LENGTH:
                raise DaiaError(
                    422,
                    "invalid_request",
                    f"A request identifier has at most {MAX_ID_LENGTH} characters",
                )
            record_id = record_id_of(identifier)
            if record_id and record_id not in seen:
                seen.add(record_id)
                wanted.append((identifier, record_id))
            if len(wanted) > MAX_IDS:
                raise DaiaError(
                    422, "invalid_request", f"Ask for at most {MAX_IDS} request identifiers at once"
                )
    if not wanted:
        raise DaiaError(422, "invalid_request", "Give at least one request identifier in 'id'")
    return wanted


async def _ask(client: MemberClient, record_ids: list[str]) -> MemberAvailability:
    """One call to one member for every record id; raises MemberFailure."""
    data = await client.query(DOCUMENT, {"ids": record_ids})
    try:
        member, block = data["member"], data["availability"]
        interloan = member["uresolverRemoteRegister"] != "NONE" and bool(member["pickupAnywhere"])
        records = {r["recordId"]: r for r in block["records"]}
        name = str(block["institutionName"] or client.member.name)
    except (KeyError, TypeError) as exc:
        raise MemberFailure(
            client.member.code, client.member.name, UnavailableCode.MEMBER_ERROR
        ) from exc
    return MemberAvailability(client.member.code, name, interloan, records)


async def daia(request: Request) -> Response:
    params = request.query_params
    callback = params.get("callback")
    suppress = "suppress_response_codes" in params
    if request.method == "OPTIONS":
        allow = "GET, HEAD, OPTIONS"
        headers = {**_HEADERS, "allow": allow, "access-control-allow-methods": allow}
        return Response(status_code=204, headers=headers)
    try:
        if callback is not None and not _CALLBACK.match(callback):
            callback = None
            raise DaiaError(
                422, "invalid_request", "callback may hold only letters, digits and underscores"
            )
        if request.method not in ("GET", "HEAD"):
            raise DaiaError(405, "invalid_request", "Use GET")
        if len(request.scope.get("query_string", b"")) > MAX_QUERY_BYTES:
            raise DaiaError(422, "invalid_request", "The query is too long")
        wanted = _identifiers(request)
        runtime: HubRuntime = request.app.state.runtime
        answers, failures = await _ask_all(list(runtime.registry), [r for _, r in wanted])
    except DaiaError as exc:
        body = {"error": exc.error, "code": exc.status, "error_description": exc.description}
        return _json(body, exc.status, callback, suppress)
    now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    answer = _json(response(wanted, answers, timestamp=now), 200, callback, suppress)
    if failures:
        answer.headers["x-unavailable-members"] = ",".join(f.member_code for f in failures)
    return answer


async def _ask_all(
    clients: list[MemberClient], ids: list[str]
) -> tuple[list[MemberAvailability], list[MemberFailure]]:
    """Every member once, concurrently; a DaiaError when none of them could answer."""
    results = await asyncio.gather(*(_ask(c, ids) for c in clients), return_exceptions=True)
    answers: list[MemberAvailability] = []
    failures: list[MemberFailure] = []
    for result in results:
        if isinstance(result, MemberAvailability):
            answers.append(result)
        elif isinstance(result, MemberFailure):
            failures.append(result)
        else:
            raise result
    if clients and not answers:
        timeouts = all(f.code == UnavailableCode.MEMBER_TIMEOUT for f in failures)
        raise DaiaError(
            504 if timeouts else 502,
            "gateway_timeout" if timeouts else "bad_gateway",
            "No member institution could answer",
        )
    return answers, failures
