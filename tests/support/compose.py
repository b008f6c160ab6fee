"""Reading compose/docker-compose.yml without a YAML library or docker.

The compose file keeps to a plain subset (block mappings, ``KEY: value`` environments,
JSON-style command lists) that :func:`services` understands; tests use it to check the
file against the code and to run its settings on loopback.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_DIR = ROOT / "compose"
_SERVICE = re.compile(r"^  ([a-z][a-z0-9-]*):\s*$")
_ENV_LINE = re.compile(r"^      ([A-Z][A-Z0-9_]*): (.*)$")
_COMMAND = re.compile(r"^    command: (\[.*\])\s*$")
SEED_SERVICE = "demo-seed"
SEED_PREFIX = "DEMO_SEED_"


@dataclass
class Service:
    name: str
    environment: dict[str, str] = field(default_factory=dict)
    command: list[str] = field(default_factory=list)


def services(path: Path = COMPOSE_DIR / "docker-compose.yml") -> dict[str, Service]:
    out: dict[str, Service] = {}
    current: Service | None = None
    in_services = in_env = False
    for line in path.read_text().splitlines():
        if line and not line.startswith((" ", "#")):
            in_services, current = line.rstrip() == "services:", None
            continue
        if not in_services:
            continue
        if match := _SERVICE.match(line):
            current = out.setdefault(match.group(1), Service(match.group(1)))
            in_env = False
        elif current is not None:
            if line.strip() == "environment:":
                in_env = True
            elif in_env and (match := _ENV_LINE.match(line)):
                current.environment[match.group(1)] = match.group(2).strip().strip('"')
            elif line.startswith("    ") and not line.startswith("      "):
                in_env = False
                if match := _COMMAND.match(line):
                    current.command = json.loads(match.group(1))
    return out


def seeded_nodes(all_services: dict[str, Service]) -> dict[str, str]:
    """Node service name -> the member code ``demo-seed`` loads into its database."""
    seeds = {
        url: key.removeprefix(SEED_PREFIX)
        for key, url in all_services[SEED_SERVICE].environment.items()
        if key.startswith(SEED_PREFIX)
    }
    return {
        name: seeds[s.environment["NODE_DATABASE_URL"]]
        for name, s in all_services.items()
        if s.environment.get("NODE_DATABASE_URL") in seeds
    }


def settings_kwargs(environment: dict[str, str], prefix: str) -> dict[str, str]:
    """``NODE_PORT: "8001"`` -> ``{"port": "8001"}`` (pydantic coerces the strings)."""
    return {k.removeprefix(prefix).lower(): v for k, v in environment.items()}
