"""NCIP v2.02 on the wire: safe parsing, the forgiving fix-ups, XSD checks, writing.

Reading is forgiving, writing is strict:

- The parser never expands entities, never loads a DTD or anything over the network and
  refuses any document that declares a DOCTYPE (NCIP v2 has none; a DOCTYPE is how entity
  bombs and external entities arrive). Size is capped before parsing (the endpoint).
- Real traffic often breaks the schema in harmless ways; what FOLIO's responder accepts
  is fixed up here, each fix named in the log: elements without a namespace are moved into
  the NCIP namespace, and the unprefixed ``version`` / ``Scheme`` attributes become the
  qualified attributes the schema declares (``attributeFormDefault="qualified"``).
- The fixed-up message is then checked against the v2.02 XSD; a failure is a logged
  warning, never a refusal. What each service really needs is checked by ``messages``.
- Everything the node writes is built in the NCIP namespace and validates against the XSD
  (``tests/api/test_ncip_wire.py`` checks every answer the node emits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .. import xml_wire
from ..xml_wire import XmlRefused
from ..xml_wire import safe_parser as safe_parser
from ..xml_wire import serialize as serialize
from .problems import NcipProblem, ProblemType

NS = "http://www.niso.org/2008/ncip"
#: What the node writes in ``NCIPMessage/@version``.
VERSION = "http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd"
PREFIX = "ns1"
_NAMESPACE = xml_wire.Namespace(NS, PREFIX, scheme_attribute="Scheme")
_QUALIFIED_ATTRIBUTES = ("version", "Scheme")


#: The qualified (Clark) name of an NCIP element or attribute.
q = _NAMESPACE.q


@dataclass
class Parsed:
    root: Any  # lxml _Element of NCIPMessage (lxml has no usable type stubs here)
    #: The one service element under NCIPMessage (``AcceptItem``, ``CheckOutItem``...).
    service: Any
    #: Human-readable notes of what the fix-ups changed (logged as warnings).
    fixes: list[str] = field(default_factory=list)

    @property
    def service_name(self) -> str:
        """The service's local name (its full ``{namespace}name`` outside NCIP's)."""
        return str(self.service.tag).removeprefix(q(""))


def parse(body: bytes) -> Parsed:
    """Parse an NCIP message safely and fix it up; raise NcipProblem when it is not one."""
    try:
        root = xml_wire.parse_safely(body)
    except XmlRefused as refused:
        if refused.reason == XmlRefused.DOCTYPE:
            raise NcipProblem(
                ProblemType.INVALID_MESSAGE_SYNTAX,
                "Document type declarations are not accepted in NCIP messages",
            ) from None
        raise NcipProblem(
            ProblemType.INVALID_MESSAGE_SYNTAX, "The message is not well-formed XML"
        ) from refused
    fixes = _fix_up(root)
    if root.tag != q("NCIPMessage"):
        raise NcipProblem(
            ProblemType.INVALID_MESSAGE_SYNTAX,
            "The root element must be NCIPMessage",
            element="NCIPMessage",
            value=str(etree.QName(root).localname),
        )
    children = [child for child in root if isinstance(child.tag, str)]
    if len(children) != 1:
        raise NcipProblem(
            ProblemType.INVALID_MESSAGE_SYNTAX,
            "NCIPMessage must hold exactly one service element",
            element="NCIPMessage",
        )
    return Parsed(root=root, service=children[0], fixes=fixes)


def _fix_up(root: Any) -> list[str]:
    fixes: list[str] = []
    moved = 0
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if etree.QName(element).namespace is None:
            element.tag = q(element.tag)
            moved += 1
        if element.tag.startswith(f"{{{NS}}}"):
            for name in _QUALIFIED_ATTRIBUTES:
                value = element.attrib.pop(name, None)
                if value is not None:
                    element.set(q(name), value)
                    fixes.append(f"unprefixed attribute {name} qualified")
    if moved:
        fixes.insert(0, f"{moved} element(s) without namespace moved into the NCIP namespace")
    if root.tag == q("NCIPMessage") and root.get(q("version")) is None:
        root.set(q("version"), VERSION)
        fixes.append("missing version attribute added")
    # Text directly inside NCIPMessage (seen in the wild) is not content: drop it.
    if root.text and root.text.strip():
        root.text = None
        fixes.append("stray text in NCIPMessage dropped")
    return sorted(set(fixes), key=fixes.index)


def schema_errors(root: Any, *, limit: int = 5) -> list[str]:
    """What the v2.02 XSD says about ``root`` (empty when it validates)."""
    schema = xml_wire.load_schema(__package__ or "", "xsd/ncip_v2_02.xsd")
    return xml_wire.schema_errors(schema, root, limit=limit)


# ---- writing ----------------------------------------------------------------------------


element = _NAMESPACE.element
text_element = _NAMESPACE.text_element


def message(service_element: Any) -> Any:
    """Wrap a service (or Problem) element in NCIPMessage."""
    return _NAMESPACE.wrap("NCIPMessage", VERSION, service_element)
