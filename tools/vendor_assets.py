"""Refresh the vendored front-end files from the npm registry (maintainers only; needs npm).

The built files GraphiQL needs (React, ReactDOM, GraphiQL, its explorer plugin) are committed
under ``src/network_common/graphiql/static/vendor/`` so that a fresh clone serves GraphiQL
offline with nothing but Python. ``MANIFEST.json`` there names each package, its version, the
sha256 of its npm tarball and of every file taken from it. This script fetches each tarball
with ``npm pack``, checks the tarball digest, and copies the files again (``--check`` only
compares them). Bump a version: edit the manifest's version, run with ``--update-digests``,
review the diff.

    python tools/vendor_assets.py [--check | --update-digests]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "src/network_common/graphiql/static/vendor"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _pack(spec: str, into: Path) -> Path:
    out = subprocess.run(
        ["npm", "pack", "--silent", spec], cwd=into, check=True, capture_output=True, text=True
    )
    return into / out.stdout.strip().splitlines()[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="compare only; change nothing")
    mode.add_argument("--update-digests", action="store_true", help="accept new digests")
    args = parser.parse_args(argv)
    manifest_path = VENDOR / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text())
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for entry in manifest["packages"]:
            spec = f"{entry['package']}@{entry['version']}"
            tarball = _pack(spec, Path(tmp))
            digest = _sha256(tarball.read_bytes())
            if digest != entry["tarball_sha256"]:
                if not args.update_digests:
                    problems.append(f"{spec}: tarball sha256 {digest} != manifest")
                    continue
                entry["tarball_sha256"] = digest
            with tarfile.open(tarball) as tar:
                for item in entry["files"]:
                    member = tar.extractfile(item["from"])
                    if member is None:
                        problems.append(f"{spec}: no {item['from']} in the tarball")
                        continue
                    data = member.read()
                    if _sha256(data) != item["sha256"] and not args.update_digests:
                        problems.append(f"{spec}: {item['from']} differs from the manifest")
                        continue
                    item["sha256"] = _sha256(data)
                    if not args.check:
                        target = VENDOR / item["to"]
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_bytes(data)
    if args.update_digests:
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
