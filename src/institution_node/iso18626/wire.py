"""ISO 18626 (v1.2) on the wire: safe parsing, the forgiving fix-ups, XSD checks, writing.

Reading is forgiving, writing is strict:

- The parser never expands entities, never loads a DTD or anything over the network,
  keeps lxml's tree limits (``huge_tree`` off) and refuses any document that declares a
  DOCTYPE. The size is capped before parsing (the endpoint).
- What real peers send is fixed up here, each fix named in the log: elements without a
  namespace move into the ISO 18626 namespace (a message in *another* namespace is a
  badly formed message; a peer's extension elements of its own namespace are dropped),
  a bare message element (``<request>`` as the root) is wrapped in
  ``ISO18626Message``, an unqualified or missing ``version`` becomes the qualified
  attribute, empty elements count as absent (peers send ``<dueDate/>`` for "none"), and a
  header without ``multipleItemRequestId`` (v1.1) gets an empty one.
- The fixed-up message is then checked against the v1.2 XSD; a finding is a logged
  warning, never a refusal: what each message really needs is checked by ``codec``.
- Everything the node writes is built in the namespace and validates against the XSD
  (``tests/unit/test_iso18626_codec.py`` checks every kind the node emits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .. import xml_wire
from ..xml_wire import XmlRefused
from ..xml_wire import safe_parser as safe_parser
from ..xml_wire import serialize as serialize
from .errors import ErrorType, IsoError

NS = "http://illtransactions.org/2013/iso18626"
VERSION = "1.2"
PREFIX = "ill"
_NAMESPACE = xml_wire.Namespace(NS, PREFIX, scheme_attribute="scheme")
_NSMAP = _NAMESPACE.nsmap
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
#: The six message elements ISO18626Message may hold.
MESSAGES = (
    "request",
    "requestConfirmation",
    "supplyingAgencyMessage",
    "supplyingAgencyMessageConfirmation",
    "requestingAgencyMessage",
    "requestingAgencyMessageConfirmation",
)


#: The qualified (Clark) name of an ISO 18626 element or attribute.
q = _NAMESPACE.q


def local(node: Any) -> str:
    return str(etree.QName(node).localname)


@dataclass
class Parsed:
    root: Any  # ISO18626Message (lxml _Element)
    message: Any  # the one message element under it
    version: str
    fixes: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return local(self.message)


def _badly_formed(value: str) -> IsoError:
    return IsoError(ErrorType.BADLY_FORMED_MESSAGE, value)


def parse(body: bytes) -> Parsed:
    """Parse an ISO 18626 message safely and fix it up; IsoError when it is not one."""
    if not body.strip():
        raise _badly_formed("The message is empty")
    try:
        root = xml_wire.parse_safely(body)
    except XmlRefused as refused:
        if refused.reason == XmlRefused.DOCTYPE:
            raise _badly_formed("Document type declarations are not accepted") from None
        raise _badly_formed("The message is not well-formed XML") from refused
    fixes: list[str] = []
    _namespaces(root, fixes)
    if local(root) in MESSAGES:
        wrapper = etree.Element(q("ISO18626Message"), nsmap=_NSMAP)
        wrapper.append(root)
        root = wrapper
        fixes.append("bare message element wrapped in ISO18626Message")
    if local(root) != "ISO18626Message":
        raise _badly_formed(f"The root element must be ISO18626Message, not {local(root)}")
    version = root.attrib.pop("version", None)
    if version is not None:
        fixes.append("unqualified version attribute qualified")
    version = root.get(q("version"), version)
    if not version:
        fixes.append("missing version attribute set to 1.2")
    root.set(q("version"), version or VERSION)
    if root.text and root.text.strip():
        root.text = None
    children = [c for c in root if isinstance(c.tag, str)]
    if len(children) != 1 or local(children[0]) not in MESSAGES:
        raise _badly_formed("ISO18626Message must hold exactly one message element")
    message = children[0]
    _drop_empty(message, fixes)
    header = message.find(q("header"))
    if header is not None and header.find(q("multipleItemRequestId")) is None:
        anchor = header.find(q("requestingAgencyId"))
        empty = etree.Element(q("multipleItemRequestId"))
        if anchor is not None:
            anchor.addnext(empty)
        else:
            header.insert(0, empty)
        fixes.append("header without multipleItemRequestId (v1.1) completed")
    return Parsed(root=root, message=message, version=str(version or VERSION), fixes=fixes)


def _namespaces(root: Any, fixes: list[str]) -> None:
    """Elements without a namespace move into ISO 18626's; a root in another namespace is
    not an ISO 18626 message, while a peer's own extension elements deeper down are
    dropped (the standard has no place for them)."""
    namespace = etree.QName(root).namespace
    if namespace not in (None, NS):
        raise _badly_formed(f"The message is in namespace {namespace}, not {NS}")
    moved = dropped = 0
    for node in list(root.iter()):
        if not isinstance(node.tag, str):
            continue
        namespace = etree.QName(node).namespace
        if namespace is None:
            node.tag = q(node.tag)
            moved += 1
        elif namespace != NS:
            parent = node.getparent()
            if parent is not None:
                parent.remove(node)
                dropped += 1
            continue
        value = node.attrib.pop("scheme", None)
        if value is not None:
            node.set(q("scheme"), value)
    if moved:
        fixes.append(f"{moved} element(s) without namespace moved into the ISO 18626 namespace")
    if dropped:
        fixes.append(f"{dropped} element(s) of other namespaces dropped")


def _drop_empty(message: Any, fixes: list[str]) -> None:
    """Empty elements (no text, no children) are absent; containers emptied by that too.
    ``multipleItemRequestId`` stays: the v1.2 header requires it and empty is its value."""
    dropped = 0
    changed = True
    while changed:
        changed = False
        for node in list(message.iter()):
            if node is message or not isinstance(node.tag, str):
                continue
            if local(node) == "multipleItemRequestId":
                continue
            if len(node) == 0 and not (node.text or "").strip():
                parent = node.getparent()
                if parent is not None:
                    parent.remove(node)
                    dropped += 1
                    changed = True
    if dropped:
        fixes.append(f"{dropped} empty element(s) treated as absent")


def schema_errors(root: Any, *, limit: int = 5) -> list[str]:
    """What the v1.2 XSD says about ``root`` (empty when it validates)."""
    schema = xml_wire.load_schema(__package__ or "", "xsd/ISO-18626-v1_2.xsd")
    return xml_wire.schema_errors(schema, root, limit=limit)


# ---- writing ----------------------------------------------------------------------------


element = _NAMESPACE.element
text_element = _NAMESPACE.text_element


def message(message_element: Any) -> Any:
    """Wrap a message (or confirmation) element in ISO18626Message."""
    return _NAMESPACE.wrap("ISO18626Message", VERSION, message_element)


def parse_own(body: bytes) -> Any:
    """Parse XML this node (or a peer answering it) wrote, without the fix-ups."""
    return etree.fromstring(body, safe_parser())


def find_text(node: Any, *path: str) -> str | None:
    """The stripped text at ``path`` under ``node`` (None when absent or empty)."""
    current = node
    for name in path:
        if current is None:
            return None
        current = current.find(q(name))
    if current is None:
        return None
    text = (current.text or "").strip()
    return text or None
