"""``institution-node`` command line: one clear line and a non-zero exit for bad input,
never a traceback; the users and keys commands end to end on a SQLite data directory."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from institution_node.cli import main
from tests.support.builders import two_library_institution


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    "command",
    [["users", "list"], ["keys", "list"], ["expire-holds"]],
    ids=["users", "keys", "expire-holds"],
)
def test_commands_on_a_missing_data_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    code, _, err = _run(capsys, "--data-dir", str(tmp_path / "absent"), *command)
    assert code == 2
    assert "no such data directory" in _one_line(err)


def test_migrate_and_load_on_a_fresh_data_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = tmp_path / "fresh"
    code, out, _ = _run(capsys, "--data-dir", str(fresh), "migrate")
    assert code == 0
    assert "latest schema" in out
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    code, _, err = _run(capsys, "--data-dir", str(tmp_path / "fresh2"), "load", str(empty))
    assert code == 2
    assert "institution: required on the first load" in err
    code, _, err = _run(capsys, "--data-dir", str(fresh), "load", str(tmp_path / "nope.json"))
    assert code == 2
    assert "no such file" in _one_line(err)
    code, _, err = _run(capsys, "--data-dir", str(fresh), "load", str(tmp_path))
    assert code == 2
    assert "is a directory" in _one_line(err)


def test_an_empty_database_says_migrate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "d").mkdir()
    code, _, err = _run(capsys, "--data-dir", str(tmp_path / "d"), "users", "list")
    assert code == 2
    assert "run `institution-node migrate` first" in _one_line(err)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("garbage", "bad database URL"),
        ("mysql://x/y", "bad database URL"),
        ("sqlite+aiosqlite:////nonexistent-dir/x/node.db", "no such directory"),
        ("postgresql+asyncpg://postgres@127.0.0.1:1/x", "cannot reach"),
    ],
    ids=["unparsable", "other-driver", "missing-dir", "unreachable"],
)
def test_bad_database_urls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, message: str
) -> None:
    code, _, err = _run(capsys, "--data-dir", str(tmp_path), "--database-url", url, "migrate")
    assert code == 2
    assert message in _one_line(err)


def test_bad_settings_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NODE_TOKEN_TTL_SECONDS", "soon")
    code, _, err = _run(capsys, "--data-dir", str(tmp_path), "migrate")
    assert code == 2
    assert "bad setting: token_ttl_seconds" in _one_line(err)


def test_users_and_keys_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    d = ["--data-dir", str(tmp_path / "node")]
    load_file = tmp_path / "load.json"
    load_file.write_text(json.dumps(two_library_institution()))
    assert _run(capsys, *d, "load", str(load_file))[0] == 0
    code, _, err = _run(
        capsys, *d, "users", "create", "ann", "--role", "CIRCULATION_DESK_MANAGER@MAIN+cs"
    )
    assert code == 0, err
    code, _, err = _run(capsys, *d, "users", "create", "ann", "--role", "USER_MANAGER")
    assert code == 2
    assert "already exists" in _one_line(err)
    code, _, err = _run(capsys, *d, "users", "create", "bo", "--role", "USER_MANAGER@NOPE")
    assert code == 2
    assert "unknown library NOPE" in _one_line(err)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, _, err = _run(capsys, *d, "users", "set-password", "ann")
    assert code == 2
    assert "at least 12" in _one_line(err)
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert _run(capsys, *d, "users", "set-password", "ann")[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    code, _, err = _run(capsys, *d, "users", "set-password", "nobody")
    assert code == 2
    assert "no staff user nobody" in _one_line(err)
    code, out, _ = _run(capsys, *d, "keys", "create", "--user", "ann", "--label", "script")
    assert code == 0
    secret = out.strip()
    key_id = secret.split("_")[1]
    code, out, _ = _run(capsys, *d, "keys", "rotate", key_id)
    assert code == 0
    assert out.strip() != secret
    code, _, err = _run(capsys, *d, "keys", "rotate", key_id)
    assert code == 2
    assert "revoked already" in _one_line(err)
    code, _, err = _run(capsys, *d, "keys", "create", "--discovery")
    assert code == 2
    assert "needs a --label" in _one_line(err)
    assert _run(capsys, *d, "keys", "create", "--discovery", "--label", "primo")[0] == 0
    code, out, _ = _run(capsys, *d, "keys", "list")
    rows = [line.split("\t") for line in out.strip().splitlines()[1:]]
    assert [(r[1], r[2], r[4].split()[0]) for r in rows][-3:] == [
        ("STAFF", "ann", "revoked"),
        ("STAFF", "ann", "active"),
        ("DISCOVERY", "-", "active"),
    ]
    assert _run(capsys, *d, "users", "disable", "ann")[0] == 0
    code, out, _ = _run(capsys, *d, "users", "list")
    [ann] = [line.split("\t") for line in out.splitlines() if line.startswith("ann\t")]
    assert ann[2] == "CIRCULATION_DESK_MANAGER@MAIN+cs"
    assert ann[3] == "disabled"
    assert ann[4] == "yes"
    assert ann[6] == "1"
    code, _, err = _run(capsys, *d, "keys", "revoke", "nope")
    assert code == 2
    assert "no API key nope" in _one_line(err)


def test_import_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    examples = Path(__file__).parents[2] / "docs" / "examples"
    d = ["--data-dir", str(tmp_path / "node")]
    assert _run(capsys, *d, "migrate")[0] == 0
    code, _, err = _run(capsys, *d, "import", "patrons", str(examples / "patrons.csv"))
    assert code == 2
    assert "no institution is loaded yet" in _one_line(err)
    assert _run(capsys, *d, "load", str(examples / "load-file.json"))[0] == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("primary_id,expiry_date\nP-1,2027-01-31\nP-2,soon\n")
    code, _, err = _run(capsys, *d, "import", "patrons", str(bad))
    assert code == 2
    assert err.splitlines() == [
        f"{bad}: nothing was loaded; 1 problem(s):",
        "  line 3: expiry_date is 'soon': use YYYY-MM-DD",
    ]
    code, out, _ = _run(capsys, *d, "import", "patrons", str(bad), "--check", "--skip-bad-rows")
    assert code == 0
    assert out.startswith("checked (nothing written)")
    code, out, err = _run(capsys, *d, "import", "patrons", str(bad), "--skip-bad-rows")
    assert code == 0
    assert "1 patrons created" in out
    assert "bad rows skipped" in err
    for kind, name in (("marc", "records.xml"), ("marc", "records.mrc"), ("items", "items.csv")):
        code, out, err = _run(capsys, *d, "import", kind, str(examples / name))
        assert code == 0, err
    code, _, err = _run(
        capsys, *d, "import", "marc", str(examples / "records.mrc"), "--id-field", "x"
    )
    assert code == 2
    assert "--id-field" in _one_line(err)
    code, _, err = _run(capsys, *d, "import", "items", str(tmp_path / "none.csv"))
    assert code == 2
    assert "no such file" in _one_line(err)
