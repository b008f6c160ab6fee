"""The network file: which institutions are members and where their nodes answer."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

#: A member code: what nodes put in ``iss`` and the load file's institution code.
CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
MEMBER_KEYS = frozenset({"code", "name", "url"})
TOP_KEYS = frozenset({"members"})


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a node's base URL (None: it can)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"{url!r} is not a URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return f"{url!r} must start with http:// or https://"
    if not parts.hostname:
        return f"{url!r} has no host"
    if parts.query or parts.fragment or parts.username or parts.password:
        return f"{url!r} must not carry a query, a fragment or credentials"
    if port == 0:
        return f"{url!r} has port 0"
    return None


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
    if unknown := sorted(set(data) - TOP_KEYS):
        raise NetworkFileError(f"{where}: unknown key(s) {', '.join(unknown)} (only [[members]])")
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
        if unknown := sorted(set(entry) - MEMBER_KEYS):
            raise NetworkFileError(
                f"{where}: members[{i}] has unknown key(s) {', '.join(unknown)} "
                "(a member has code, name, url)"
            )
        code = entry["code"]
        if not CODE.match(code):
            raise NetworkFileError(
                f"{where}: members[{i}].code {code!r} must be 1-64 letters, digits, '.', '_' or '-'"
            )
        if not entry["name"].strip():
            raise NetworkFileError(f"{where}: members[{i}].name is empty")
        if (problem := url_problem(entry["url"])) is not None:
            raise NetworkFileError(f"{where}: members[{i}].url {problem}")
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
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise NetworkFileError(f"{path}: cannot be read ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise NetworkFileError(f"{path}: {exc}") from exc
    return parse_network(data, where=str(path))


def render_network(members: list[Member] | tuple[Member, ...]) -> str:
    """TOML text for ``members`` (tests and the demo write network files with it)."""
    lines: list[str] = []
    for m in members:
        lines += ["[[members]]", f'code = "{m.code}"', f'name = "{m.name}"', f'url = "{m.url}"', ""]
    return "\n".join(lines)
