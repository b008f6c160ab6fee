"""Every public NCIP sample request gets a well-formed, XSD-valid answer: a success where
the node holds what the message names (the data below is loaded to match), a Problem
otherwise, never a crash."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from institution_node.store.models import BorrowingRequest, Library, Partner, User
from tests.conftest import NodeFactory
from tests.support import ncip
from tests.support.builders import holding, patron, record
from tests.support.resource_sharing import rs_institution
from tests.support.shared import interop

#: The agencies the samples come from, as broker partners (code, agency id).
BROKERS = {
    "RELAIS": "Relais",
    "RELAIS-LC": "relais",
    "ENG": "ENG",
    "REGISTRY": "registry_id",
    "DUMMY": "Dummy NCIP Responder",
    "LENDER": "LENDER",
}
#: Copies the samples name (by barcode), and the record RequestItem.xc-toolkit names.
BARCODES = [
    "item1",
    "LEH-201911071039",
    "LEH-20191003225",
    "LEH-20191122954",
    "19823098123",
    "10923123",
    "at-013",
    "tl-a11",
    "reg-1",
]
#: In order: (sample, the broker whose secret is presented, the problem answered or None);
#: ``prepare`` (in the test) sends a broker's earlier message of the same story first.
EXPECTED: list[tuple[str, str, str | None]] = [
    ("RequestItem.mod-ncip-test.xml", "RELAIS", None),
    ("RequestItem.xc-toolkit.xml", "ENG", None),
    ("CheckOutItem.mod-ncip-docs.xml", "RELAIS", None),
    ("CheckInItem.mod-ncip-docs.xml", "RELAIS", None),
    ("CheckOutItem.xc-toolkit.xml", "ENG", None),
    ("RenewItem.xc-toolkit.xml", "ENG", None),  # no agency at all: the secret names it
    ("CheckOutItem-withRequestId.mod-ncip-test.xml", "RELAIS-LC", None),
    ("CheckInItem.mod-ncip-test.xml", "RELAIS", None),
    ("CheckInItem.xc-toolkit.xml", "DUMMY", None),
    ("CancelRequestItem.mod-ncip-test.xml", "RELAIS", None),
    ("CancelRequestItem-emptyFromAgency.mod-ncip-test.xml", "RELAIS", None),
    ("CancelRequestItem.xc-toolkit.xml", "REGISTRY", None),
    ("LookupUser.mod-ncip-docs.xml", "RELAIS", None),
    ("LookupUser.mod-ncip-test.xml", "RELAIS", None),
    ("LookupUser-authinput.mod-ncip-docs.xml", "RELAIS", None),
    # A PIN or password cannot be checked for brokers here (docs/NCIP.md).
    ("LookupUser.xc-toolkit.xml", "REGISTRY", "User Authentication Failed"),
    # AcceptItem: a borrowing request for our patron, shipped to us.
    ("AcceptItem.mod-ncip-docs.xml", "RELAIS", None),
    ("AcceptItem.mod-ncip-test.xml", "RELAIS", None),
    ("AcceptItem.xc-toolkit.xml", "LENDER", None),
    # DeleteItem takes away only a temporary item of the broker's borrowing request; at-013
    # is a copy of our own collection (docs/NCIP.md).
    ("DeleteItem.mod-ncip-test.xml", "RELAIS", "Unknown Item"),
]


def sample_data() -> dict[str, Any]:
    data = rs_institution("UNIB")
    data["records"] += [
        record("2052516", holdings=[holding("MAIN", "oclc-copy")]),
        record("itemHrid1", holdings=[holding("MAIN", *BARCODES)]),
    ]
    data["users"] += [patron(p) for p in ("8377630", "8377631", "myluid", "OCLCTEST")]
    return data


async def _carried_by(node: Any, primary_ids: list[str], broker: str) -> None:
    """Our patrons with a borrowing request through ``broker``: it may look them up."""
    async with node.runtime.sessions() as session:
        partner = await session.scalar(select(Partner).where(Partner.code == broker))
        library = await session.scalar(select(Library).where(Library.code == "MAIN"))
        assert partner is not None
        assert library is not None
        for primary_id in primary_ids:
            user = await session.scalar(select(User).where(User.primary_id == primary_id))
            assert user is not None
            session.add(
                BorrowingRequest(
                    status="REQUEST_SENT",
                    user_id=user.id,
                    library_id=library.id,
                    pickup_library_id=library.id,
                    partner_id=partner.id,
                    title="Wanted",
                    rota=[partner.id],
                    rota_position=0,
                )
            )
        await session.commit()


async def test_every_sample_is_answered(node_factory: NodeFactory, db_url: str) -> None:
    node = await node_factory(sample_data(), db_url=db_url)
    secrets = {
        code: await ncip.add_broker(node.runtime, "UNIB", code=code, agency=agency)
        for code, agency in BROKERS.items()
    }
    await _carried_by(node, ["8377630", "myluid"], "RELAIS")
    # What the brokers sent before the samples that continue a story.
    prepare = {
        "CheckInItem.mod-ncip-test.xml": ncip.check_out_item(
            "LEH-20191003225", agency="Relais", auth=secrets["RELAIS"]
        ),
        "CheckInItem.xc-toolkit.xml": ncip.check_out_item(
            "10923123", agency="Dummy NCIP Responder", auth=secrets["DUMMY"]
        ),
        "CancelRequestItem.mod-ncip-test.xml": ncip.request_item(
            "5fc504cb-9042-4bfe-a54f-287c56cd7a11", "at-013", agency="Relais"
        ).replace(
            b"<AgencyId>BROKER</AgencyId><RequestIdentifierValue>", b"<RequestIdentifierValue>"
        ),
        "CancelRequestItem.xc-toolkit.xml": ncip.request_item(
            "101919", "reg-1", agency="registry_id"
        ),
    }
    seen = []
    for name, broker, _ in EXPECTED:
        if name in prepare:
            first = await ncip.post(node.client, prepare[name], bearer=secrets[broker])
            assert ncip.problem_type(first) is None, name
        body = interop("ncip", "requests", name).read_bytes()
        answer = await ncip.post(node.client, body, bearer=secrets[broker])
        seen.append((name, broker, ncip.problem_type(answer)))
    assert seen == EXPECTED
    samples = {p.name for p in interop("ncip", "requests").glob("*.xml")}
    assert samples == {name for name, _, _ in EXPECTED}
    assert (await node.client.get("/healthz")).status_code == 200
