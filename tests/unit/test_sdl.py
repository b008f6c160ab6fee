"""The committed SDL files match the code (API changes show up in review)."""

from __future__ import annotations

import pytest

from institution_node.api.sdl import ROOT, SCHEMAS, render


@pytest.mark.parametrize("rel", sorted(SCHEMAS))
def test_committed_sdl_matches_code(rel: str) -> None:
    committed = (ROOT / rel).read_text()
    assert committed == render(SCHEMAS[rel]), f"{rel} is stale: run `make sdl` and commit it"
