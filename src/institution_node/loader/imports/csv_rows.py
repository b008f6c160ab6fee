"""Reading an import CSV: UTF-8 (a BOM is fine), a header row, an optional format line.

A file may start with a line ``# lfn-<kind> <version>`` (e.g. ``# lfn-patrons 1``); without
it the current version is assumed. Column names are matched case-insensitively; unknown
columns are a problem (a misspelt column would otherwise be silently ignored).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from .problems import file_problem

_FORMAT_LINE = re.compile(r"^#\s*lfn-(?P<kind>[a-z]+)\s+(?P<version>\d+)\s*$")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


class RowError(ValueError):
    """One problem of one row (the caller adds the line)."""


@dataclass(frozen=True, slots=True)
class CsvRow:
    line: int
    values: dict[str, str]

    def text(self, name: str, *, max_length: int, required: bool = False) -> str | None:
        value = self.values.get(name, "").strip()
        if not value:
            if required:
                raise RowError(f"{name} is required")
            return None
        if len(value) > max_length:
            raise RowError(f"{name} is longer than {max_length} characters")
        if "\x00" in value:
            raise RowError(f"{name} contains a NUL character")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.values.get(name, "").strip().lower()
        if not value:
            return default
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise RowError(f"{name} is {value!r}: use true or false")

    def number(self, name: str, default: int, *, low: int, high: int) -> int:
        value = self.values.get(name, "").strip()
        if not value:
            return default
        try:
            number = int(value)
        except ValueError:
            raise RowError(f"{name} is {value!r}: not a whole number") from None
        if not low <= number <= high:
            raise RowError(f"{name} is {number}: must be between {low} and {high}")
        return number

    def day(self, name: str) -> date | None:
        value = self.values.get(name, "").strip()
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise RowError(f"{name} is {value!r}: use YYYY-MM-DD") from None


def read_rows(
    raw: bytes, *, kind: str, version: int, columns: frozenset[str], required: frozenset[str]
) -> tuple[frozenset[str], Iterator[CsvRow]]:
    """The header's columns and the data rows of ``raw`` (with the line each starts on);
    file-level problems raise ImportRefused."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise file_problem(f"not UTF-8 text (byte {exc.start})") from exc
    lines = io.StringIO(text, newline="")
    offset = 0
    first = lines.readline()
    if (match := _FORMAT_LINE.match(first.strip())) is not None:
        if match["kind"] != kind or int(match["version"]) != version:
            raise file_problem(
                f"the file says lfn-{match['kind']} {match['version']}; "
                f"this import reads lfn-{kind} {version}"
            )
        offset = 1
    elif first.startswith("#"):
        raise file_problem(f"the first line should be '# lfn-{kind} {version}' or the header")
    else:
        lines.seek(0)
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise file_problem("empty file: no header row") from None
    except csv.Error as exc:
        raise file_problem(f"line {offset + 1}: {exc}") from exc
    names = [h.strip().lower() for h in header]
    unknown = [n for n in names if n not in columns]
    if unknown:
        raise file_problem(
            f"unknown column(s) {', '.join(repr(n) for n in unknown)}; "
            f"the columns are {', '.join(sorted(columns))}"
        )
    if dupes := sorted({n for n in names if names.count(n) > 1}):
        raise file_problem(f"column(s) {', '.join(dupes)} appear more than once")
    if missing := sorted(required - set(names)):
        raise file_problem(f"missing column(s) {', '.join(missing)}")
    return frozenset(names), _rows(reader, names, offset)


def _rows(reader: Any, names: list[str], offset: int) -> Iterator[CsvRow]:
    previous = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # The rest of the file cannot be split into rows: report it where it starts.
            yield CsvRow(
                line=offset + previous + 1,
                values={"__error__": f"{exc}; the rest of the file is unreadable"},
            )
            return
        line = offset + previous + 1
        previous = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # blank lines are not rows
        if len(cells) != len(names):
            yield CsvRow(line=line, values={"__width__": str(len(cells))})
            continue
        yield CsvRow(line=line, values=dict(zip(names, cells, strict=True)))


def check_width(row: CsvRow, width: int) -> None:
    if "__error__" in row.values:
        raise RowError(row.values["__error__"])
    if "__width__" in row.values:
        raise RowError(f"{row.values['__width__']} cells, the header has {width}")
