"""What the node's two XML protocols (ISO 18626 at ``iso18626/``, NCIP at ``ncip/``) share.

- One safe parser: no entity expansion, no DTD, nothing fetched over the network, lxml's
  tree limits kept (``huge_tree`` off), comments and processing instructions dropped; a
  document declaring a DOCTYPE is refused (that is how entity bombs and external entities
  arrive). Each protocol turns ``XmlRefused`` into its own error form.
- XSD checks against the schema shipped in the protocol's package.
- Writing: elements built in the protocol's namespace, serialised with a declaration.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from lxml import etree


class XmlRefused(ValueError):
    """The body is not XML this node reads (``reason``: not well-formed, or a DOCTYPE)."""

    NOT_WELL_FORMED = "not well-formed"
    DOCTYPE = "doctype"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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


def parse_safely(body: bytes) -> Any:
    """The document's root element (lxml), or XmlRefused."""
    try:
        root = etree.fromstring(body, safe_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise XmlRefused(XmlRefused.NOT_WELL_FORMED) from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise XmlRefused(XmlRefused.DOCTYPE)
    return root


@cache
def load_schema(package: str, path: str) -> etree.XMLSchema:
    """The XSD at ``path`` inside ``package`` (parsed once, with the safe parser)."""
    resource = resources.files(package).joinpath(path)
    with resources.as_file(resource) as file:
        return etree.XMLSchema(etree.parse(str(file), safe_parser()))


def schema_errors(schema: etree.XMLSchema, root: Any, *, limit: int = 5) -> list[str]:
    """What ``schema`` says about ``root`` (empty when it validates)."""
    if schema.validate(root):
        return []
    return [f"line {error.line}: {error.message}" for error in list(schema.error_log)[:limit]]


def serialize(root: Any) -> bytes:
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return data


@dataclass(frozen=True)
class Namespace:
    """Writing in one protocol's namespace: ``uri``, the ``prefix`` written, and the name of
    the protocol's qualified scheme attribute (ISO 18626 ``scheme``, NCIP ``Scheme``)."""

    uri: str
    prefix: str
    scheme_attribute: str

    def q(self, name: str) -> str:
        """The qualified (Clark) name of an element or attribute of this namespace."""
        return f"{{{self.uri}}}{name}"

    @property
    def nsmap(self) -> dict[str, str]:
        return {self.prefix: self.uri}

    def element(
        self, name: str, *children: Any, text: str | None = None, scheme: str | None = None
    ) -> Any:
        """An element with children (``None`` children are skipped) or text."""
        node = etree.Element(self.q(name), nsmap=self.nsmap)
        if scheme is not None:
            node.set(self.q(self.scheme_attribute), scheme)
        if text is not None:
            node.text = text
        for child in children:
            if child is not None:
                node.append(child)
        return node

    def text_element(self, name: str, text: str | None, *, scheme: str | None = None) -> Any:
        """``element(name, text=...)``, or None (skipped by ``element``) when text is None."""
        return None if text is None else self.element(name, text=text, scheme=scheme)

    def wrap(self, root_name: str, version: str, child: Any) -> Any:
        """``child`` inside the protocol's root element, with its qualified version."""
        root = etree.Element(self.q(root_name), nsmap=self.nsmap)
        root.set(self.q("version"), version)
        root.append(child)
        return root
