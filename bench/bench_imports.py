"""Imports at scale: 100,000 MARC records and 100,000 items (CSV) into a node on PostgreSQL.

`.venv/bin/python -m bench.bench_imports [--records 100000] [--items 100000] [--sqlite]`

Each import runs as the real command (`institution-node import marc|items`) in its own
process; the table gives rows per second and the process's peak resident memory, for the
first import (all rows new), a second run of the same file (all unchanged) and a run where
every row changed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pymarc
from pymarc.field import Indicators, Subfield

from bench.common import drop_pg_database, scratch_pg_database

RESULTS = Path(__file__).with_name("results")
NODE = [sys.executable, "-m", "institution_node.cli"]


def write_marc(path: Path, n: int, *, edition: str) -> None:
    with path.open("wb") as fh:
        for i in range(n):
            r = pymarc.Record(force_utf8=True)
            r.add_field(pymarc.Field(tag="001", data=f"nr-{i:07d}"))
            r.add_field(
                pymarc.Field(
                    tag="100",
                    indicators=Indicators("1", " "),
                    subfields=[Subfield("a", f"Author{i % 977}, Given,"), Subfield("d", "1950-")],
                )
            )
            r.add_field(
                pymarc.Field(
                    tag="245",
                    indicators=Indicators("1", "0"),
                    subfields=[
                        Subfield("a", f"A study of subject {i} /"),
                        Subfield("c", f"by Author {i % 977} ({edition})."),
                    ],
                )
            )
            r.add_field(
                pymarc.Field(
                    tag="260",
                    indicators=Indicators(" ", " "),
                    subfields=[
                        Subfield("a", "River City :"),
                        Subfield("b", "Press,"),
                        Subfield("c", "2001."),
                    ],
                )
            )
            fh.write(r.as_marc())


def write_items(path: Path, n: int, records: int, *, period: int) -> None:
    with path.open("w") as fh:
        fh.write("# lfn-items 1\n")
        fh.write("barcode,record_id,library,location,call_number,item_policy,loan_period_days\n")
        for i in range(n):
            lib = "MAIN" if i % 3 else "LAW"
            fh.write(
                f"B{i:08d},nr-{i % records:07d},{lib},Stacks,QA{i % 5000}.{i % 97},BOOK,{period}\n"
            )


LOAD_FILE = {
    "institution": {"code": "BENCHU", "name": "Bench University"},
    "libraries": [{"code": "MAIN", "name": "Main"}, {"code": "LAW", "name": "Law"}],
}


def run_measured(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    started = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stderr is not None
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    if status != 0:
        raise RuntimeError(f"{' '.join(args[-3:])} failed: {err[-800:]}")
    return elapsed, usage.ru_maxrss / 1024, out.strip()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    opts = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-imports-"))
    url = None if opts.sqlite else await scratch_pg_database()
    if url is None and not opts.sqlite:
        print("PostgreSQL is not reachable: run with --sqlite or start it")
        return
    env = {**os.environ, "NODE_DATA_DIR": str(tmp / "node")}
    if url is not None:
        env["NODE_DATABASE_URL"] = url
    try:
        (tmp / "load.json").write_text(json.dumps(LOAD_FILE))
        run_measured([*NODE, "load", str(tmp / "load.json")], env)
        write_marc(tmp / "records.mrc", opts.records, edition="1st")
        write_marc(tmp / "records2.mrc", opts.records, edition="2nd")
        write_items(tmp / "items.csv", opts.items, opts.records, period=28)
        write_items(tmp / "items2.csv", opts.items, opts.records, period=21)
        size_marc = (tmp / "records.mrc").stat().st_size / 2**20
        size_csv = (tmp / "items.csv").stat().st_size / 2**20
        rows: list[dict[str, Any]] = []
        cases = [
            ("MARC records, new", ["marc", "records.mrc"], opts.records),
            ("MARC records, unchanged", ["marc", "records.mrc"], opts.records),
            ("MARC records, all changed", ["marc", "records2.mrc"], opts.records),
            ("items CSV, new", ["items", "items.csv"], opts.items),
            ("items CSV, unchanged", ["items", "items.csv"], opts.items),
            ("items CSV, all changed", ["items", "items2.csv"], opts.items),
        ]
        for name, (kind, file), n in cases:
            seconds, rss, out = run_measured([*NODE, "import", kind, str(tmp / file)], env)
            rows.append(
                {
                    "case": name,
                    "rows": n,
                    "seconds": round(seconds, 2),
                    "rows_per_s": round(n / seconds),
                    "peak_rss_mib": round(rss),
                    "out": out,
                }
            )
        backend = "SQLite" if url is None else "PostgreSQL"
        print(f"{backend}; MARC file {size_marc:.1f} MiB, items CSV {size_csv:.1f} MiB")
        print(f"{'case':28} {'rows':>8} {'s':>7} {'rows/s':>8} {'peak MiB':>9}")
        for r in rows:
            print(
                f"{r['case']:28} {r['rows']:>8} {r['seconds']:>7} {r['rows_per_s']:>8} "
                f"{r['peak_rss_mib']:>9}"
            )
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"imports-{backend.lower()}.json").write_text(json.dumps(rows, indent=1))
    finally:
        if url is not None:
            await drop_pg_database(url)


if __name__ == "__main__":
    asyncio.run(main())
