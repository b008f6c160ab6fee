"""Run every benchmark one after the other (``make bench``); each prints its own table and
writes its figures under ``bench/results/``."""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = (
    "bench.bench_node_loans",
    "bench.bench_loan_jobs",
    "bench.bench_requests_monitor",
    "bench.bench_rs_lists",
    "bench.bench_iso18626",
    "bench.bench_network_activity",
    "bench.bench_getit",
    "bench.bench_outbox",
    "bench.bench_ncip",
    "bench.bench_console_pages",
)


def main() -> int:
    failed = []
    for module in BENCHMARKS:
        print(f"\n=== {module}", flush=True)
        if subprocess.run([sys.executable, "-m", module], check=False).returncode != 0:
            failed.append(module)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
