"""Print or check the hub's committed SDL (``make sdl`` rewrites it)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .schema import build_schema

ROOT = Path(__file__).resolve().parents[3]
SDL_PATH = ROOT / "schema" / "hub.graphql"


def render() -> str:
    return build_schema().as_str().rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite schema/hub.graphql")
    args = parser.parse_args(argv)
    text = render()
    if args.write:
        SDL_PATH.write_text(text)
        return 0
    if not SDL_PATH.exists() or SDL_PATH.read_text() != text:
        print("schema/hub.graphql differs from the code; run `make sdl`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
