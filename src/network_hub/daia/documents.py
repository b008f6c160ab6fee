"""Members' anonymous availability answers → a DAIA Response. Plain Python: no I/O.

Identifiers: a network record id ``nr-00011`` is the document URI
``urn:network-record:nr-00011``; clients may ask with either form (VuFind: set
``daiaIdPrefix = "urn:network-record:"`` and ``multiQuery = true``). Each member's item is one
DAIA item: ``department`` is the member institution, ``storage`` its library and location,
``label`` the call number. Services, as an anonymous viewer may know them (DOMAIN §5):

=============  ==================  =====================================================
item           loan/presentation   interloan (network pickup: the member accepts direct
                                   requests and lists pickup-anywhere members)
=============  ==================  =====================================================
on shelf       available (loan     available when loanable and offered; else unavailable
               only if loanable)
on loan        unavailable,        unavailable, expected = due date (if offered)
               expected = due date
in transit,    unavailable,        unavailable, expected unknown (if offered)
on hold shelf  expected unknown
=============  ==================  =====================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

RECORD_PREFIX = "urn:network-record:"
ITEM_PREFIX = "urn:network-item:"
MEMBER_PREFIX = "urn:network-member:"
LIBRARY_PREFIX = "urn:network-library:"


def _part(value: str) -> str:
    return quote(value, safe="-._~")


def record_uri(record_id: str) -> str:
    return RECORD_PREFIX + _part(record_id)


def record_id_of(identifier: str) -> str:
    """The network record id a request identifier names (either form)."""
    if identifier.startswith(RECORD_PREFIX):
        return identifier[len(RECORD_PREFIX) :]
    return identifier


@dataclass
class MemberAvailability:
    """One member's answer: its name, whether it offers network pickup, records by id."""

    code: str
    name: str
    interloan: bool
    records: dict[str, dict[str, Any]] = field(default_factory=dict)


def _expected(item: dict[str, Any]) -> str | None:
    due = item.get("dueAt")
    return str(due)[:10] if due else None  # DAIA anydate: the date part


def services(item: dict[str, Any], *, interloan: bool) -> dict[str, list[dict[str, Any]]]:
    """``available`` / ``unavailable`` services of one item (the table above)."""
    status = item.get("status")
    loanable = bool(item.get("loanable"))
    available: list[dict[str, Any]] = []
    unavailable: list[dict[str, Any]] = []

    def later(service: str) -> dict[str, Any]:
        entry: dict[str, Any] = {"service": service}
        if status == "ON_LOAN":
            expected = _expected(item)
            if expected:
                entry["expected"] = expected
        else:
            entry["expected"] = "unknown"
        return entry

    if status == "ON_SHELF":
        available.append({"service": "presentation"})
        (available if loanable else unavailable).append({"service": "loan"})
        if interloan and loanable:
            available.append({"service": "interloan"})
        else:
            unavailable.append({"service": "interloan"})
    else:
        unavailable.append(later("presentation"))
        unavailable.append(later("loan") if loanable else {"service": "loan"})
        unavailable.append(
            later("interloan") if interloan and loanable else {"service": "interloan"}
        )
    out: dict[str, list[dict[str, Any]]] = {}
    if available:
        out["available"] = available
    if unavailable:
        out["unavailable"] = unavailable
    return out


def _items(member: MemberAvailability, record: dict[str, Any]) -> list[dict[str, Any]]:
    items = []
    for holding in record.get("holdings") or []:
        library = str(holding.get("libraryCode") or "")
        place = ", ".join(p for p in (holding.get("libraryName"), holding.get("location")) if p)
        for item in holding.get("items") or []:
            entry: dict[str, Any] = {
                "id": f"{ITEM_PREFIX}{_part(member.code)}:{_part(str(item['barcode']))}",
                "department": {"id": MEMBER_PREFIX + _part(member.code), "content": member.name},
                "storage": {
                    "id": f"{LIBRARY_PREFIX}{_part(member.code)}:{_part(library)}",
                    "content": place or library,
                },
                **services(item, interloan=member.interloan),
            }
            if holding.get("callNumber"):
                entry["label"] = str(holding["callNumber"])
            items.append(entry)
    return items


def response(
    requested: list[tuple[str, str]], members: list[MemberAvailability], *, timestamp: str
) -> dict[str, Any]:
    """The DAIA Response for (request identifier, record id) pairs, in the order asked.

    A record no member knows gets no document (DAIA: unknown identifiers are not an error).
    """
    documents = []
    for identifier, record_id in requested:
        found = [
            (m, m.records[record_id]) for m in members if m.records.get(record_id, {}).get("found")
        ]
        if not found:
            continue
        document: dict[str, Any] = {"id": record_uri(record_id), "requested": identifier}
        title = next((r.get("title") for _, r in found if r.get("title")), None)
        if title:
            document["about"] = str(title)
        items = [item for m, r in found for item in _items(m, r)]
        if items:
            document["item"] = items
        documents.append(document)
    return {"timestamp": timestamp, "document": documents}
