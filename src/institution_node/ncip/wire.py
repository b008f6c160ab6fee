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
from functools import cache
from importlib import resources
from typing import Any

from lxml import etree

from .problems import NcipProblem, ProblemType

NS = "http://www.niso.org/2008/ncip"
#: What the node writes in ``NCIPMessage/@version``.
VERSION = "http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd"
PREFIX = "ns1"
_NSMAP = {PREFIX: NS}
_QUALIFIED_ATTRIBUTES = ("version", "Scheme")


def q(name: str) -> str:
    """The qualified (Clark) name of an NCIP element or attribute."""
    return f"{{{NS}}}{name}"


def safe_parser() -> etree.XMLParser:
    """A parser that expands no entity and fetches nothing (one per document)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


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
        root = etree.fromstring(body, safe_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise NcipProblem(
            ProblemType.INVALID_MESSAGE_SYNTAX, "The message is not well-formed XML"
        ) from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise NcipProblem(
            ProblemType.INVALID_MESSAGE_SYNTAX,
            "Document type declarations are not accepted in NCIP messages",
        )
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


@cache
def _schema() -> etree.XMLSchema:
    path = resources.files(__package__).joinpath("xsd/ncip_v2_02.xsd")
    with resources.as_file(path) as file:
        return etree.XMLSchema(etree.parse(str(file), safe_parser()))


def schema_errors(root: Any, *, limit: int = 5) -> list[str]:
    """What the XSD says about ``root`` (empty when it validates)."""
    schema = _schema()
    if schema.validate(root):
        return []
    return [f"line {error.line}: {error.message}" for error in list(schema.error_log)[:limit]]


# ---- writing ----------------------------------------------------------------------------


def element(name: str, *children: Any, text: str | None = None, scheme: str | None = None) -> Any:
    """An NCIP element with children (``None`` children are skipped) or text."""
    node = etree.Element(q(name), nsmap=_NSMAP)
    if scheme is not None:
        node.set(q("Scheme"), scheme)
    if text is not None:
        node.text = text
    for child in children:
        if child is not None:
            node.append(child)
    return node


def text_element(name: str, text: str | None, *, scheme: str | None = None) -> Any:
    """``element(name, text=...)``, or None (skipped by ``element``) when text is None."""
    return None if text is None else element(name, text=text, scheme=scheme)


def message(service_element: Any) -> Any:
    """Wrap a service (or Problem) element in NCIPMessage."""
    root = etree.Element(q("NCIPMessage"), nsmap=_NSMAP)
    root.set(q("version"), VERSION)
    root.append(service_element)
    return root


def serialize(root: Any) -> bytes:
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return data
