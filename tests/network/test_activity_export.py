"""Exporting Network Activity loans/requests as CSV and .xlsx from the hub over HTTP."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.network.conftest import NetworkFactory
from tests.network.test_network_activity import admin_token, holder, home_unia
from tests.support.builders import api_key


async def test_csv_and_xlsx_follow_the_filter_and_the_access_rules(
    network_factory: NetworkFactory,
) -> None:
    net = await network_factory([home_unia(), holder("UNIB", 1), holder("UNIC", 1)])
    token = await admin_token(net)
    auth = {"authorization": f"Bearer {token}"}
    url = f"{net.hub_url}/export/network-activity"

    response = await net.http.get(f"{url}.csv", params={"patronId": "L1"}, headers=auth)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Institution", "Institution code", "Title"]
    assert [(r[1], r[4]) for r in rows[1:]] == [("UNIB", "X-1"), ("UNIC", "X-1")]

    response = await net.http.get(
        f"{url}.xlsx", params={"patronId": "L1", "institution": "UNIC"}, headers=auth
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert [(r[0], r[1], r[4]) for r in values[1:]] == [("University UNIC", "UNIC", "X-1")]

    response = await net.http.get(
        f"{url}.csv", params={"patronId": "L1", "kind": "requests"}, headers=auth
    )
    assert response.status_code == 200
    assert len(list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))) == 1

    operator = await net.staff_token("UNIA", api_key("unia-main-op"))
    refused = await net.http.get(
        f"{url}.csv", params={"patronId": "L1"}, headers={"authorization": f"Bearer {operator}"}
    )
    assert refused.status_code == 403
    assert "X-1" not in refused.text
    anonymous = await net.http.get(f"{url}.xlsx", params={"patronId": "L1"})
    assert anonymous.status_code == 401
