"""`network-demo` end to end: start it as a user would, paste what it prints, Ctrl-C it.

This is the proof that `make demo` works: the shell block the demo prints (a staff token
from the patron's home node, then the Network Activity query to the hub) is run as it is.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from network_demo.data.banner import PASTE_END, PASTE_START
from network_demo.demo import prepare_data_dir

pytestmark = pytest.mark.network

START_TIMEOUT = 60.0


@dataclass
class DemoProcess:
    proc: subprocess.Popen[str]
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)

    def read_until(self, marker: str, timeout: float = START_TIMEOUT) -> list[str]:
        """Lines printed up to and including the first one containing ``marker``."""
        deadline = time.monotonic() + timeout
        start = len(self.seen)
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {marker!r} in time:\n" + "".join(self.seen)) from None
            if line is None:
                raise AssertionError(f"the demo ended before {marker!r}:\n" + "".join(self.seen))
            self.seen.append(line)
            if marker in line:
                return self.seen[start:]

    def interrupt(self) -> int:
        """Ctrl-C, then the exit code (the rest of the output is read into ``seen``)."""
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=20)
        while (line := self.lines.get(timeout=5)) is not None:
            self.seen.append(line)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        return code


def _start(data_dir: Path) -> DemoProcess:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "network_demo.demo",
            "--data-dir",
            str(data_dir),
            "--base-port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    demo = DemoProcess(proc)

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            demo.lines.put(line)
        demo.lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return demo


def _paste_blocks(output: list[str]) -> list[str]:
    """Every block printed between the paste markers, in order."""
    parts = "".join(output).split(PASTE_START + "\n")[1:]
    return [part.split(PASTE_END, 1)[0] for part in parts]


def _paste_block(output: list[str]) -> str:
    return _paste_blocks(output)[0]


def _pasted_body(block: str) -> dict[str, Any]:
    """The JSON document the block sends to the hub (its here-document)."""
    body: dict[str, Any] = json.loads(block.split("<<'JSON'\n", 1)[1].split("\nJSON", 1)[0])
    return body


def _run_pasted(block: str) -> dict[str, Any]:
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    body: dict[str, Any] = json.loads(done.stdout)
    return body


def _printed_key(output: list[str], label: str) -> str:
    """The key on the first line containing ``label`` (NORTHU's: it is printed first)."""
    line = next(x for x in output if label in x)
    return line.rsplit(" ", 1)[1].strip()


def _printed_url(output: list[str], name: str) -> str:
    line = next(x for x in output if x.strip().startswith(name) and "/graphql" in x)
    return line.split()[1].removesuffix("/graphql")


def _assert_featured_activity(answer: dict[str, Any]) -> None:
    assert "errors" not in answer, answer
    activity = answer["data"]["networkActivity"]
    assert activity["hasNetworkActivity"] is True
    assert activity["unavailable"] == []
    # The featured patron is active at the two other members, each row naming its member.
    assert {i["code"] for i in activity["institutions"]} == {"SOUTHC", "EASTC"}
    assert {row["institutionCode"] for row in activity["loans"]} == {"SOUTHC", "EASTC"}
    assert activity["loanCount"] == len(activity["loans"]) >= 2
    assert activity["requests"]
    assert activity["fees"]


@pytest.mark.skipif(shutil.which("curl") is None, reason="the printed commands use curl")
def test_printed_query_works_ctrl_c_stops_all_and_a_rerun_reuses_the_data(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "demo-data"
    demo = _start(data_dir)
    try:
        output = demo.read_until("More in README")
        block, get_it = _paste_blocks(output)
        _assert_featured_activity(_run_pasted(block))

        # The Get It example: the record is found at the home and at both other members.
        records = _run_pasted(get_it)["data"]["getIt"]["records"]
        assert records[0]["home"]["availableCount"] >= 1
        assert {o["institutionCode"]: o["access"] for o in records[0]["others"]} == {
            "NORTHU": "ANONYMOUS",
            "EASTC": "ANONYMOUS",
        }

        # What the banner says about the operator's key holds: Network Activity is refused.
        token = httpx.post(
            f"{_printed_url(output, 'NORTHU')}/auth/token",
            json={"api_key": _printed_key(output, "desk operator")},
        ).json()["access_token"]
        refused = httpx.post(
            f"{_printed_url(output, 'hub')}/graphql",
            json=_pasted_body(block),
            headers={"authorization": f"Bearer {token}"},
        ).json()
        assert refused["data"] is None
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    finally:
        code = demo.interrupt()
    everything = "".join(demo.seen)
    assert code == 0, everything
    assert everything.count("loaded sample data") == 3
    assert "demo network stopped" in everything
    assert "Traceback" not in everything

    again = _start(data_dir)
    try:
        reused = again.read_until(PASTE_END)
        _assert_featured_activity(_run_pasted(_paste_block(reused)))
    finally:
        assert again.interrupt() == 0
    assert not any("loaded sample data" in x for x in reused)
    assert _printed_key(reused, "circulation manager") == _printed_key(
        output, "circulation manager"
    )


def test_reset_wipes_the_data_dir(tmp_path: Path) -> None:
    (tmp_path / "northu").mkdir()
    (tmp_path / "northu" / "node.db").write_text("old")
    prepare_data_dir(tmp_path, reset=False)
    assert (tmp_path / "northu" / "node.db").exists()
    prepare_data_dir(tmp_path, reset=True)
    assert tmp_path.is_dir()
    assert list(tmp_path.iterdir()) == []
