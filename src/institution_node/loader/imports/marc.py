"""Bibliographic records from MARC 21 (``pymarc``): binary ISO 2709 or MARCXML.

The record id (the network-wide record id) is taken from ``001`` by default, or from a
data field's subfield given as ``TAG$code`` (e.g. ``035$a``); the title from ``245`` (``$a``,
``$b``, ... as pymarc joins them, trailing ISBD punctuation removed) and the author from
``100``/``110``/``111``. Binary records are located by number and byte offset, MARCXML
records by line. Text longer than the database keeps (title 512, author 255 characters) is
shortened with an ellipsis rather than refused: catalogues hold such titles.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import pymarc
from lxml import etree
from pymarc.field import Indicators, Subfield

from .problems import Problem, file_problem

MARCXML_NS = "http://www.loc.gov/MARC21/slim"
_TRAILING = re.compile(r"[\s/:;,.=]+$")
TITLE_MAX, AUTHOR_MAX, ID_MAX = 512, 255, 128


@dataclass(frozen=True, slots=True)
class MarcRecord:
    where: str
    record_id: str
    title: str
    author: str | None


@dataclass(frozen=True, slots=True)
class IdField:
    tag: str
    code: str | None  # None: a control field

    @classmethod
    def parse(cls, text: str) -> IdField:
        tag, _, code = text.partition("$")
        if not re.fullmatch(r"\d{3}", tag) or (tag < "010") != (code == ""):
            raise ValueError(f"{text!r}: use a control field (001) or TAG$code (035$a)")
        if code and not re.fullmatch(r"[a-z0-9]", code):
            raise ValueError(f"{text!r}: a subfield code is one letter or digit")
        return cls(tag=tag, code=code or None)

    def value(self, record: pymarc.Record) -> str | None:
        for field in record.get_fields(self.tag):
            if self.code is None:
                data = field.data
            else:
                values = field.get_subfields(self.code)
                data = values[0] if values else None
            if data and data.strip():
                return str(data).strip()
        return None


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = _TRAILING.sub("", " ".join(text.split()))
    return text or None


def to_row(record: pymarc.Record, where: str, id_field: IdField) -> MarcRecord | Problem:
    record_id = id_field.value(record)
    if record_id is None:
        return Problem(
            where, f"no record id ({id_field.tag}{'$' + id_field.code if id_field.code else ''})"
        )
    if len(record_id) > ID_MAX:
        return Problem(where, f"record id {record_id[:40]}… is longer than {ID_MAX} characters")
    title = _clean(record.title)
    if title is None:
        return Problem(where, f"record {record_id} has no title (245)")
    author = _clean(record.author)
    if "\x00" in record_id + title + (author or ""):
        return Problem(where, f"record {record_id} contains a NUL character")
    return MarcRecord(
        where=where,
        record_id=record_id,
        title=_shorten(title, TITLE_MAX),
        author=None if author is None else _shorten(author, AUTHOR_MAX),
    )


def read_binary(stream: BinaryIO, id_field: IdField) -> Iterator[MarcRecord | Problem]:
    """ISO 2709 records; a broken record is a problem, and reading goes on after it."""
    reader = pymarc.MARCReader(
        stream, to_unicode=True, force_utf8=True, permissive=True, utf8_handling="replace"
    )
    number, offset = 0, 0
    for record in reader:
        number += 1
        where = f"record {number} (byte {offset})"
        offset += len(reader.current_chunk or b"")
        if record is None:
            reason = reader.current_exception
            yield Problem(where, f"not a readable MARC record ({reason})")
            continue
        yield to_row(record, where, id_field)
    if number == 0:
        raise file_problem("no MARC records in the file")


def _xml_record(element: etree._Element) -> pymarc.Record:
    record = pymarc.Record()
    ns = f"{{{MARCXML_NS}}}" if element.tag.startswith("{") else ""
    for child in element:
        tag = child.get("tag", "")
        if child.tag == f"{ns}controlfield":
            record.add_field(pymarc.Field(tag=tag, data=child.text or ""))  # type: ignore[no-untyped-call]
        elif child.tag == f"{ns}datafield":
            record.add_field(  # type: ignore[no-untyped-call]
                pymarc.Field(
                    tag=tag,
                    indicators=Indicators(child.get("ind1", " "), child.get("ind2", " ")),
                    subfields=[
                        Subfield(code=s.get("code", ""), value=s.text or "")
                        for s in child
                        if s.tag == f"{ns}subfield"
                    ],
                )
            )
    return record


def read_xml(stream: BinaryIO, id_field: IdField) -> Iterator[MarcRecord | Problem]:
    """MARCXML ``record`` elements (in the MARC 21 slim namespace or none), streamed."""
    number = 0
    events = etree.iterparse(
        stream,
        events=("end",),
        tag=(f"{{{MARCXML_NS}}}record", "record"),
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
    )
    try:
        for _event, element in events:
            number += 1
            where = f"line {element.sourceline}"
            yield to_row(_xml_record(element), where, id_field)
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
    except etree.XMLSyntaxError as exc:
        raise file_problem(f"not well-formed XML: {exc}") from exc
    if number == 0:
        raise file_problem("no MARCXML record elements in the file")


def is_xml(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
