"""``network-hub`` command line: clear messages for a bad network file."""

from __future__ import annotations

from pathlib import Path

import pytest

from network_hub.cli import main


def test_sync_index_with_a_missing_network_file_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "absent.toml"
    code = main(["--data-dir", str(tmp_path / "hub"), "--network-file", str(missing), "sync-index"])
    assert code == 2
    assert "no such network file" in capsys.readouterr().err


def test_serve_with_a_malformed_network_file_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "network.toml"
    bad.write_text('[[members]]\ncode = "A"\n')
    code = main(["--data-dir", str(tmp_path / "hub"), "--network-file", str(bad), "serve"])
    assert code == 2
    assert "lacks name, url" in capsys.readouterr().err
