"""Print or check the committed SDL of the node's schemas (``make sdl`` rewrites them)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import strawberry

from .network.schema import build_schema as build_network
from .staff.schema import build_schema as build_staff

ROOT = Path(__file__).resolve().parents[3]
SCHEMAS: dict[str, Callable[[], strawberry.Schema]] = {
    "schema/staff.graphql": build_staff,
    "schema/network.graphql": build_network,
}


def render(build: Callable[[], strawberry.Schema]) -> str:
    return build().as_str().rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite the committed files")
    args = parser.parse_args(argv)
    stale = []
    for rel, build in SCHEMAS.items():
        path = ROOT / rel
        text = render(build)
        if args.write:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        elif not path.exists() or path.read_text() != text:
            stale.append(rel)
    for rel in stale:
        print(f"{rel} differs from the code; run `make sdl`", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
