"""DAIA at the hub (issue 14): real nodes, real hub, answers checked against the DAIA schema."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jsonschema
import pytest

from network_hub.daia.endpoint import MAX_IDS
from tests.network.conftest import NetworkFactory
from tests.support.builders import holding, record, two_library_institution
from tests.support.network import LiveNetwork
from tests.support.shared import shared_dir

pytestmark = pytest.mark.network

EXTRA = [f"rec-x{n:02d}" for n in range(48)]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads((shared_dir() / "interop/daia/daia.schema.json").read_text())
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def _members() -> list[dict[str, Any]]:
    home = two_library_institution("UNIA")
    # One of UNIA's items is out on loan (due date known), one is not for loan.
    home["loans"] = [
        {
            "barcode": "M-2",
            "patron": "P1",
            "desk": "MAIN-DESK",
            "loaned_at": "2026-01-05T10:00:00Z",
            "due_at": "2026-02-02T10:00:00Z",
        }
    ]
    home["records"] += [record(r, holdings=[holding("MAIN", f"B-{r}")]) for r in EXTRA]
    direct = two_library_institution(
        "UNIB", uresolver_remote_register="MANUAL", pickup_anywhere=["UNIA"]
    )
    closed = two_library_institution("UNIC", uresolver_remote_register="NONE")
    return [home, direct, closed]


@pytest.fixture
async def net(network_factory: NetworkFactory) -> LiveNetwork:
    return await network_factory(_members())


async def _daia(net: LiveNetwork, query: str) -> httpx.Response:
    return await net.http.get(f"{net.hub_url}/daia?{query}")


def _items(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["id"].rsplit(":", 1)[1]: i for i in document["item"]}


def _services(item: dict[str, Any], key: str) -> dict[str, dict[str, Any]]:
    return {s["service"]: s for s in item.get(key, [])}


async def test_one_record_across_members_validates_and_says_what_is_available(
    net: LiveNetwork, validator: jsonschema.Draft4Validator
) -> None:
    response = await _daia(net, "id=rec-1&format=json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-daia-version"] == "1.0.0"
    body = response.json()
    validator.validate(body)
    (document,) = body["document"]
    assert document["id"] == "urn:network-record:rec-1"
    assert document["requested"] == "rec-1"
    assert document["about"] == "Title rec-1"
    items = _items(document)
    # Three members hold M-1, M-2, L-1 each: nine items, each naming its member.
    assert len(document["item"]) == 9
    assert {i["department"]["content"] for i in document["item"]} == {
        "University UNIA",
        "University UNIB",
        "University UNIC",
    }
    on_shelf = next(i for i in document["item"] if i["id"].endswith("UNIA:M-1"))
    assert set(_services(on_shelf, "available")) == {"presentation", "loan"}
    # UNIA takes no direct requests from other members' patrons: no interloan.
    assert set(_services(on_shelf, "unavailable")) == {"interloan"}
    on_loan = next(i for i in document["item"] if i["id"].endswith("UNIA:M-2"))
    assert "available" not in on_loan
    assert _services(on_loan, "unavailable")["loan"]["expected"] == "2026-02-02"
    direct = next(i for i in document["item"] if i["id"].endswith("UNIB:M-1"))
    assert set(_services(direct, "available")) == {"presentation", "loan", "interloan"}
    assert direct["label"] == "QA 2.MAIN"
    assert direct["storage"]["content"].endswith("STACKS")
    assert items  # keyed by barcode, for the reader of a failure


async def test_fifty_ids_cost_one_call_per_member(
    net: LiveNetwork, validator: jsonschema.Draft4Validator
) -> None:
    ids = ["rec-1", "rec-2", *EXTRA]
    assert len(ids) == 50
    net.reset_calls()
    # Both ways of asking for several: repeated id parameters and DAIA's "|".
    query = "&".join(f"id={i}" for i in ids[:25]) + "&id=" + "%7C".join(ids[25:])
    response = await _daia(net, query + "&format=json")
    assert response.status_code == 200
    body = response.json()
    validator.validate(body)
    assert [d["requested"] for d in body["document"]] == ids
    assert {code: node.network_calls for code, node in net.nodes.items()} == {
        "UNIA": 1,
        "UNIB": 1,
        "UNIC": 1,
    }
    extra = next(d for d in body["document"] if d["requested"] == EXTRA[0])
    assert [i["department"]["content"] for i in extra["item"]] == ["University UNIA"]


async def test_unknown_ids_get_an_empty_document_and_uri_ids_work(
    net: LiveNetwork, validator: jsonschema.Draft4Validator
) -> None:
    response = await _daia(net, "id=no-such-record&format=json")
    assert response.status_code == 200
    assert response.json()["document"] == []
    validator.validate(response.json())
    response = await _daia(net, "id=urn:network-record:rec-2|nope&format=json")
    (document,) = response.json()["document"]
    assert document["requested"] == "urn:network-record:rec-2"
    not_loanable = next(i for i in document["item"] if i["id"].endswith("UNIA:L-2"))
    assert set(_services(not_loanable, "available")) == {"presentation"}
    assert "loan" in _services(not_loanable, "unavailable")


BAD_REQUESTS = [
    ("id=rec-1", 422),  # no format
    ("id=rec-1&format=xml", 422),
    ("format=json", 422),  # no id
    ("id=&format=json", 422),
    ("id=" + "x" * 201 + "&format=json", 422),
    ("&".join(f"id=r{n}" for n in range(MAX_IDS + 1)) + "&format=json", 422),
    ("id=rec-1&format=json&patron=P1", 501),
    ("id=rec-1&format=json&callback=alert(1)", 422),
]


async def test_bad_requests_get_the_daia_error_form(net: LiveNetwork) -> None:
    net.reset_calls()
    for query, status in BAD_REQUESTS:
        response = await _daia(net, query)
        assert response.status_code == status, query
        body = response.json()
        assert body["code"] == status
        assert body["error"] in {"invalid_request", "not_implemented"}
        assert body["error_description"]
    # Refused before any member was asked.
    assert all(node.network_calls == 0 for node in net.nodes.values())


async def test_methods_jsonp_suppressed_codes_and_a_member_down(net: LiveNetwork) -> None:
    posted = await net.http.post(f"{net.hub_url}/daia?id=rec-1&format=json")
    assert posted.status_code == 405
    assert posted.json()["error"] == "invalid_request"
    options = await net.http.options(f"{net.hub_url}/daia")
    assert options.status_code == 204
    assert "GET" in options.headers["allow"]
    suppressed = await _daia(net, "format=xml&suppress_response_codes")
    assert suppressed.status_code == 200
    assert suppressed.json()["code"] == 422
    jsonp = await _daia(net, "id=rec-2&format=json&callback=show_it")
    assert jsonp.headers["content-type"].startswith("application/javascript")
    assert jsonp.text.startswith("/**/show_it({")

    await net.nodes["UNIB"].stop()
    response = await _daia(net, "id=rec-1&format=json")
    assert response.status_code == 200
    assert response.headers["x-unavailable-members"] == "UNIB"
    (document,) = response.json()["document"]
    assert "University UNIB" not in {i["department"]["content"] for i in document["item"]}
    for code in ("UNIA", "UNIC"):
        await net.nodes[code].stop()
    response = await _daia(net, "id=rec-1&format=json")
    assert response.status_code == 502
    assert response.json()["error"] == "bad_gateway"
