"""Finding the read-only ``shared/`` folder (design docs, interop samples) from the tests.

It sits beside the project's checkout (``../shared`` in CI), or beside a parent folder of
it (worktrees); ``LFN_SHARED_DIR`` names it explicitly. In CI its absence is an error.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    explicit = os.environ.get("LFN_SHARED_DIR")
    candidates = [Path(explicit)] if explicit else [p / "shared" for p in ROOT.parents]
    for candidate in candidates:
        if (candidate / "interop").is_dir():
            return candidate
    if os.environ.get("CI", "").lower() == "true":
        raise RuntimeError("shared/ (with interop/) is required in CI beside the checkout")
    pytest.skip("shared/ is not beside this checkout; set LFN_SHARED_DIR", allow_module_level=True)


def interop(*parts: str) -> Path:
    """A path under ``shared/interop``."""
    return shared_dir().joinpath("interop", *parts)
