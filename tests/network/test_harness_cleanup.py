"""The live-network harness closes everything it opened, even for a member left down.

A database connection left to the garbage collector is reported (as an unraisable
exception) in whichever later test happens to collect it: a failure far from its cause."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.builders import two_library_institution
from tests.support.network import start_network

pytestmark = pytest.mark.network


async def test_a_member_never_started_is_closed_with_the_network(tmp_path: Path) -> None:
    net = await start_network(
        tmp_path,
        [two_library_institution("UNIA"), two_library_institution("UNIC")],
        sync_index=False,
        down=["UNIC"],
    )
    await net.close()
    del net  # what is left unclosed is garbage from here on
    reported: list[Any] = []
    hook, sys.unraisablehook = sys.unraisablehook, reported.append
    try:
        gc.collect()
    finally:
        sys.unraisablehook = hook
    assert [str(r.exc_value) or repr(r.object) for r in reported] == []
