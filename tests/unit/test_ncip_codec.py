"""The NCIP codec without I/O: safe parsing, fix-ups, field checks, XSD-valid writing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree

from institution_node.ncip import messages, responses, wire
from institution_node.ncip.messages import Ident
from institution_node.ncip.problems import MESSAGING, NcipProblem, ProblemType, scheme_for
from tests.support.shared import interop

SAMPLES = sorted(interop("ncip", "requests").glob("*.xml"))
PACKAGED_XSD = Path(wire.__file__).with_name("xsd") / "ncip_v2_02.xsd"


def shared_schema() -> etree.XMLSchema:
    """The XSD from shared/, independent of the node's packaged copy."""
    return etree.XMLSchema(etree.parse(str(interop("ncip", "xsd", "ncip_v2_02.xsd"))))


def assert_valid(root: object) -> None:
    schema = shared_schema()
    assert schema.validate(root), schema.error_log
    assert wire.schema_errors(root) == []


def problem_of(body: bytes) -> NcipProblem:
    with pytest.raises(NcipProblem) as caught:
        messages.decode(wire.parse(body).service)
    return caught.value


def test_packaged_xsd_is_the_shared_one() -> None:
    shared = interop("ncip", "xsd", "ncip_v2_02.xsd").read_bytes().replace(b"\r\n", b"\n")
    assert PACKAGED_XSD.read_bytes() == shared


def test_there_are_samples() -> None:
    assert len(SAMPLES) >= 20


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_sample_is_read_or_refused_with_a_problem(path: Path) -> None:
    parsed = wire.parse(path.read_bytes())
    # After the fix-ups every sample is in the NCIP namespace with a qualified version.
    assert parsed.root.tag == wire.q("NCIPMessage")
    assert parsed.root.get(wire.q("version"))
    assert all(
        etree.QName(el).namespace == wire.NS for el in parsed.root.iter() if isinstance(el.tag, str)
    )
    decoded = messages.decode(parsed.service)
    assert type(decoded).__name__ == parsed.service_name
    if isinstance(decoded, messages.DeleteItem):
        assert decoded.item_id == Ident(value="at-013")
        assert decoded.header.from_agency == "Relais"


def test_missing_namespace_and_unprefixed_version_are_fixed_up() -> None:
    body = interop("ncip", "requests", "RequestItem.mod-ncip-test.xml").read_bytes()
    parsed = wire.parse(body)
    assert any("namespace" in fix for fix in parsed.fixes)
    assert any("version" in fix for fix in parsed.fixes)
    decoded = messages.decode(parsed.service)
    assert isinstance(decoded, messages.RequestItem)
    assert decoded.user.ident == Ident(value="8377630", type="barcode")
    assert decoded.item_ids == (Ident(value="item1"),)
    assert decoded.request_id == Ident(value="requestId1")
    assert decoded.header.from_agency == "Relais"


def test_a_fixed_up_sample_validates_when_only_the_namespace_was_wrong() -> None:
    body = interop("ncip", "requests", "CheckInItem.mod-ncip-test.xml").read_bytes()
    assert not shared_schema().validate(etree.fromstring(body))
    parsed = wire.parse(body)
    assert wire.schema_errors(parsed.root) == []


def test_schema_findings_are_reported_not_raised() -> None:
    body = interop("ncip", "requests", "AcceptItem.mod-ncip-test.xml").read_bytes()
    parsed = wire.parse(body)
    findings = wire.schema_errors(parsed.root)
    assert findings
    assert "FiscalTransactionInformation" in findings[0]
    assert isinstance(messages.decode(parsed.service), messages.AcceptItem)


def test_agency_falls_back_to_the_request_id() -> None:
    body = interop(
        "ncip", "requests", "CancelRequestItem-emptyFromAgency.mod-ncip-test.xml"
    ).read_bytes()
    header = messages.read_header(wire.parse(body).service)
    assert header.from_agency == "Relais"


def test_authentication_input_names_the_user_and_a_password_is_noticed() -> None:
    body = interop("ncip", "requests", "LookupUser.xc-toolkit.xml").read_bytes()
    decoded = messages.decode(wire.parse(body).service)
    assert isinstance(decoded, messages.LookupUser)
    assert decoded.user.ident.value == "98765432"
    assert decoded.user.has_secret


# ---- refusals -------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<NCIPMessage xmlns="http://www.niso.org/2008/ncip"><CheckInItem><ItemId>
<ItemIdentifierValue>&lol9;</ItemIdentifierValue></ItemId></CheckInItem></NCIPMessage>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE NCIPMessage [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<NCIPMessage xmlns="http://www.niso.org/2008/ncip"><CheckInItem><ItemId>
<ItemIdentifierValue>&xxe;</ItemIdentifierValue></ItemId></CheckInItem></NCIPMessage>"""


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml at all",
        b'{"json": true}',
        b"<NCIPMessage><CheckInItem>",
        b"\xff\xfe<\x00x\x00",
        BILLION_LAUGHS,
        EXTERNAL_ENTITY,
        b'<?xml version="1.0"?><!DOCTYPE NCIPMessage SYSTEM "http://127.0.0.1:9/x.dtd">'
        b"<NCIPMessage/>",
        b"<Other xmlns='http://www.niso.org/2008/ncip'/>",
        b"<NCIPMessage xmlns='http://www.niso.org/2008/ncip'/>",
        b"<NCIPMessage xmlns='http://www.niso.org/2008/ncip'><CheckInItem/><CheckInItem/>"
        b"</NCIPMessage>",
    ],
    ids=[
        "empty",
        "text",
        "json",
        "unclosed",
        "bad-encoding",
        "billion-laughs",
        "external-entity",
        "external-dtd",
        "wrong-root",
        "no-service",
        "two-services",
    ],
)
def test_what_is_not_an_ncip_message_is_invalid_syntax(body: bytes) -> None:
    with pytest.raises(NcipProblem) as caught:
        wire.parse(body)
    assert caught.value.problem is ProblemType.INVALID_MESSAGE_SYNTAX
    assert "passwd" not in caught.value.detail
    assert "root:" not in caught.value.detail


def test_unknown_and_unsupported_services() -> None:
    unknown = problem_of(
        b"<NCIPMessage xmlns='http://www.niso.org/2008/ncip'><Frobnicate/></NCIPMessage>"
    )
    assert unknown.problem is ProblemType.UNKNOWN_SERVICE
    unsupported = problem_of(
        b"<NCIPMessage xmlns='http://www.niso.org/2008/ncip'><LookupAgency/></NCIPMessage>"
    )
    assert unsupported.problem is ProblemType.UNSUPPORTED_SERVICE
    foreign = problem_of(
        b"<NCIPMessage xmlns='http://www.niso.org/2008/ncip'>"
        b"<CheckInItem xmlns='urn:other'/></NCIPMessage>"
    )
    assert foreign.problem is ProblemType.UNKNOWN_SERVICE


@pytest.mark.parametrize(
    ("service", "inner", "element"),
    [
        (
            "CheckOutItem",
            "<ItemId><ItemIdentifierValue>b1</ItemIdentifierValue></ItemId>",
            "UserId",
        ),
        ("CheckOutItem", "<UserId><UserIdentifierValue>u</UserIdentifierValue></UserId>", "ItemId"),
        ("CheckInItem", "", "ItemId"),
        ("CheckInItem", "<ItemId><AgencyId>X</AgencyId></ItemId>", "ItemId/ItemIdentifierValue"),
        ("RequestItem", "<UserId><UserIdentifierValue>u</UserIdentifierValue></UserId>", "ItemId"),
        ("AcceptItem", "<RequestedActionType>Hold</RequestedActionType>", "RequestId"),
        ("CancelRequestItem", "<RequestType>Loan</RequestType>", "RequestId"),
        ("RenewItem", "", "ItemId"),
        ("LookupUser", "", "UserId"),
    ],
)
def test_needed_data_missing_points_at_the_element(service: str, inner: str, element: str) -> None:
    body = f"<NCIPMessage><{service}>{inner}</{service}></NCIPMessage>".encode()
    problem = problem_of(body)
    assert problem.problem is ProblemType.NEEDED_DATA_MISSING
    assert problem.element == element


def test_an_invalid_date_is_named_with_its_value() -> None:
    problem = problem_of(
        b"<NCIPMessage><RenewItem><ItemId><ItemIdentifierValue>b</ItemIdentifierValue></ItemId>"
        b"<DesiredDateDue>next tuesday</DesiredDateDue></RenewItem></NCIPMessage>"
    )
    assert problem.problem is ProblemType.INVALID_DATE
    assert (problem.element, problem.value) == ("DesiredDateDue", "next tuesday")


def test_an_overlong_identifier_is_refused() -> None:
    problem = problem_of(
        b"<NCIPMessage><CheckInItem><ItemId><ItemIdentifierValue>"
        + b"x" * 300
        + b"</ItemIdentifierValue></ItemId></CheckInItem></NCIPMessage>"
    )
    assert problem.problem is ProblemType.ELEMENT_RULE_VIOLATED
    assert problem.value is not None
    assert len(problem.value) <= 200


# ---- writing ------------------------------------------------------------------------------

US = responses.Parties(ours="NODE", theirs="BROKER")
ITEM = Ident(value="B-1", agency="NODE", type="Barcode")
USER = Ident(value="borrower-7", agency="BROKER")
REQ = Ident(value="R-1", agency="BROKER")
DUE = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)

BUILT = {
    "accept": lambda: responses.accept_item(US, request_id=REQ, item_id=ITEM),
    "request": lambda: responses.request_item(
        US, request_id=REQ, item_id=ITEM, user_id=USER, request_type="Loan", request_scope="Item"
    ),
    "request-no-item": lambda: responses.request_item(
        US,
        request_id=REQ,
        item_id=None,
        user_id=USER,
        request_type="Loan",
        request_scope="Bibliographic Item",
        date_available=DUE,
    ),
    "checkout": lambda: responses.check_out_item(US, item_id=ITEM, user_id=USER, due=DUE),
    "checkin": lambda: responses.check_in_item(US, item_id=ITEM, user_id=USER),
    "checkin-no-user": lambda: responses.check_in_item(US, item_id=ITEM, user_id=None),
    "cancel": lambda: responses.cancel_request_item(US, request_id=REQ, item_id=None, user_id=USER),
    "renew": lambda: responses.renew_item(US, item_id=ITEM, user_id=USER, due=DUE, renewals=1),
    "renew-pending": lambda: responses.renew_item_pending(US, expected_reply=DUE),
    "lookup": lambda: responses.lookup_user(
        US,
        responses.LimitedUser(
            user_id=USER,
            first_name="Ada",
            last_name="Lovelace",
            email="ada@example.org",
            user_group="Staff",
            expiry=date(2027, 6, 30),
        ),
    ),
    "lookup-minimal": lambda: responses.lookup_user(
        US,
        responses.LimitedUser(
            user_id=USER, first_name="Ada", last_name="", email=None, user_group=None, expiry=None
        ),
    ),
    "renew-out": lambda: responses.renew_item_request(
        US, authentication="s3cret", user_id=USER, item_id=ITEM, desired_due=DUE
    ),
    "recall-out": lambda: responses.recall_item_request(
        US, authentication=None, item_id=ITEM, desired_due=DUE
    ),
    "no-header": lambda: responses.check_in_item(
        responses.Parties(ours="NODE", theirs=None), item_id=ITEM, user_id=None
    ),
}


@pytest.mark.parametrize("name", sorted(BUILT))
def test_every_built_message_validates(name: str) -> None:
    root = BUILT[name]()
    assert_valid(root)
    again = wire.parse(wire.serialize(root))
    assert wire.schema_errors(again.root) == []
    assert again.fixes == []


@pytest.mark.parametrize("kind", list(ProblemType), ids=lambda k: k.name)
@pytest.mark.parametrize("service", [None, *sorted(responses.ANSWERED)])
def test_every_problem_answer_validates(kind: ProblemType, service: str | None) -> None:
    problem = NcipProblem(kind, "detail", element="ItemId", value="x")
    root = responses.problem_response(service, [problem], US)
    assert_valid(root)
    found = root.find(f".//{wire.q('ProblemType')}")
    assert found.text == kind.value
    assert found.get(wire.q("Scheme")) == scheme_for(kind, service)


def test_problem_schemes_follow_the_service() -> None:
    assert scheme_for(ProblemType.INVALID_MESSAGE_SYNTAX, "CheckInItem") == MESSAGING
    assert scheme_for(ProblemType.UNKNOWN_ITEM, "CheckOutItem").endswith(
        "checkoutitemprocessingerror.scm"
    )
    assert scheme_for(ProblemType.UNKNOWN_ITEM, None).endswith("lookupitemprocessingerror.scm")
    assert scheme_for(ProblemType.UNKNOWN_USER, "LookupUser").endswith(
        "lookupuserprocessingerror.scm"
    )


def test_dates_on_the_wire_are_utc() -> None:
    root = responses.check_out_item(US, item_id=ITEM, user_id=USER, due=DUE)
    assert root.find(f".//{wire.q('DateDue')}").text == "2027-01-15T12:00:00Z"
