"""Exported Network Activity cells never run as spreadsheet formulas (CSV injection)."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from network_hub.export import to_csv, to_xlsx

DANGEROUS = ['=HYPERLINK("x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]


def test_csv_cells_that_could_run_as_formulas_are_neutralised() -> None:
    body = to_csv(["Title", "Renewals"], [[title, 1] for title in DANGEROUS])
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["'" + title for title in DANGEROUS]
    assert {row[1] for row in rows[1:]} == {"1"}


def test_xlsx_cells_are_text_not_formulas() -> None:
    body = to_xlsx(["Title"], [[title] for title in DANGEROUS], title="loans")
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.data_type for c in cells] == ["s"] * len(DANGEROUS)
    assert [c.value for c in cells] == ["'" + title for title in DANGEROUS]


def test_ordinary_cells_are_unchanged() -> None:
    body = to_csv(["Title"], [["Moby-Dick"], ["A = B"]])
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["Moby-Dick", "A = B"]
