"""The committed hub SDL matches the code (run `make sdl` after a schema change)."""

from __future__ import annotations

from network_hub.schema.sdl import SDL_PATH, render


def test_committed_hub_sdl_matches_the_code() -> None:
    assert SDL_PATH.read_text() == render(), "schema/hub.graphql is stale; run `make sdl`"
