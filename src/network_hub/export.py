"""Network Activity loans and requests as CSV or .xlsx over HTTP (DOMAIN §4: export).

``GET /export/network-activity.csv|.xlsx?patronId=&institution=&kind=loans|requests`` with the
caller's bearer token; the same access rules and filter as the GraphQL field.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from network_common.errors import DomainError, ErrorCode

from .activity.merge import ActivityView
from .activity.upstream import fetch_activity
from .members.batching import MemberLoader
from .runtime import HubRuntime
from .services import network_activity as service

COLUMNS: dict[str, Sequence[tuple[str, str]]] = {
    "loans": (
        ("Institution", "institutionName"),
        ("Institution code", "institutionCode"),
        ("Title", "title"),
        ("Author", "author"),
        ("Barcode", "barcode"),
        ("Loan date", "loanDate"),
        ("Due date", "dueDate"),
        ("Renewals", "renewals"),
        ("Owning library", "owningLibrary"),
        ("Loan location", "loanLocation"),
    ),
    "requests": (
        ("Institution", "institutionName"),
        ("Institution code", "institutionCode"),
        ("Title", "title"),
        ("Author", "author"),
        ("Status", "status"),
        ("Placed", "placedDate"),
        ("Pickup institution", "pickupInstitution"),
        ("Pickup location", "pickupLocation"),
        ("Managing library", "managingLibrary"),
        ("Owning library", "owningLibrary"),
    ),
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table(view: ActivityView, kind: str) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of one kind (loans or requests) of a Network Activity view."""
    columns = COLUMNS[kind]
    rows = view.loans if kind == "loans" else view.requests
    return [c[0] for c in columns], [[row.get(key) for _, key in columns] for row in rows]


def _safe(value: Any) -> Any:
    # Spreadsheet formula injection: a cell starting with = + - @ (or a tab or carriage
    # return before one, which spreadsheet apps skip) would run as a formula.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([[_safe(v) for v in row] for row in rows])
    return out.getvalue().encode("utf-8-sig")  # the BOM lets spreadsheet apps read UTF-8


def to_xlsx(header: list[str], rows: list[list[Any]], *, title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append([_safe(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _error(exc: DomainError) -> JSONResponse:
    status = {
        ErrorCode.UNAUTHENTICATED: 401,
        ErrorCode.FORBIDDEN: 403,
        ErrorCode.INVALID_INPUT: 400,
        ErrorCode.PAYLOAD_TOO_LARGE: 413,
    }.get(exc.code, 503)
    return JSONResponse({"error": {"code": exc.code.value, "message": exc.message}}, status)


def too_large(max_bytes: int) -> Response:
    """The export's answer to a body beyond ``HUB_MAX_BODY_BYTES`` (it takes none)."""
    error = DomainError(
        f"The request body is larger than {max_bytes} bytes", code=ErrorCode.PAYLOAD_TOO_LARGE
    )
    response = _error(error)
    response.headers["connection"] = "close"
    return response


async def export_csv(request: Request) -> Response:
    return await _export(request, "csv")


async def export_xlsx(request: Request) -> Response:
    return await _export(request, "xlsx")


async def _export(request: Request, fmt: str) -> Response:
    runtime: HubRuntime = request.app.state.runtime
    limit = runtime.settings.max_string_length
    if len(request.scope.get("query_string", b"")) > limit:
        # Refused before the parameters are parsed; real ones are a few short ids.
        message = f"The query string is longer than {limit} characters"
        return _error(DomainError(message, code=ErrorCode.PAYLOAD_TOO_LARGE))
    params = request.query_params
    kind = params.get("kind", "loans")
    patron_id = params.get("patronId")
    try:
        principal = await runtime.callers.from_header(request.headers.get("authorization"))
        if kind not in COLUMNS or not patron_id:
            # Checked after the token so an anonymous caller learns nothing from it.
            raise DomainError(
                "patronId and kind=loans|requests are required", code=ErrorCode.INVALID_INPUT
            )
        view = await service.network_activity(
            runtime=runtime,
            loader=MemberLoader(runtime.registry, fetch_activity),
            principal=principal,
            patron_id=patron_id,
            patron_institution=params.get("homeInstitution"),
            institution_filter=params.get("institution") or None,
        )
    except DomainError as exc:
        return _error(exc)
    header, rows = table(view, kind)
    name = f"network-activity-{kind}"
    if fmt == "csv":
        body, media = to_csv(header, rows), "text/csv; charset=utf-8"
    else:
        body, media = to_xlsx(header, rows, title=kind), XLSX
    headers = {"content-disposition": f'attachment; filename="{name}.{fmt}"'}
    if view.unavailable:
        # Name the gap without changing the file's shape.
        headers["x-unavailable-members"] = ",".join(f.member_code for f in view.unavailable)
    return Response(body, media_type=media, headers=headers)
