"""The network file: which institutions are members and where their nodes answer."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class NetworkFileError(ValueError):
    """The network file is missing or malformed (says what and where)."""


@dataclass(frozen=True, slots=True)
class Member:
    code: str
    name: str
    url: str  # the node's base URL, never shown to callers

    @property
    def network_endpoint(self) -> str:
        return f"{self.url}/network/graphql"

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/.well-known/jwks.json"


def parse_network(data: dict[str, Any], *, where: str = "network file") -> tuple[Member, ...]:
    entries = data.get("members")
    if not isinstance(entries, list) or not entries:
        raise NetworkFileError(f"{where}: needs at least one [[members]] entry")
    members: list[Member] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise NetworkFileError(f"{where}: members[{i}] is not a table")
        missing = [k for k in ("code", "name", "url") if not isinstance(entry.get(k), str)]
        if missing:
            raise NetworkFileError(f"{where}: members[{i}] lacks {', '.join(missing)}")
        code = entry["code"]
        if code in seen:
            raise NetworkFileError(f"{where}: member code {code!r} appears twice")
        seen.add(code)
        members.append(Member(code=code, name=entry["name"], url=entry["url"].rstrip("/")))
    return tuple(members)


def load_network(path: Path) -> tuple[Member, ...]:
    """Read and check the TOML network file at ``path``."""
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError as exc:
        raise NetworkFileError(f"{path}: no such network file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise NetworkFileError(f"{path}: {exc}") from exc
    return parse_network(data, where=str(path))


def render_network(members: list[Member] | tuple[Member, ...]) -> str:
    """TOML text for ``members`` (tests and the demo write network files with it)."""
    lines: list[str] = []
    for m in members:
        lines += ["[[members]]", f'code = "{m.code}"', f'name = "{m.name}"', f'url = "{m.url}"', ""]
    return "\n".join(lines)
