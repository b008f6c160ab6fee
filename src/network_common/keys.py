"""The node's signing key (ES256), generated on first start and kept in the data directory."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def _b64(n: int, length: int = 32) -> str:
    return base64.urlsafe_b64encode(n.to_bytes(length, "big")).rstrip(b"=").decode()


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: ec.EllipticCurvePrivateKey

    def public_jwk(self) -> dict[str, Any]:
        numbers = self.private_key.public_key().public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "alg": "ES256",
            "use": "sig",
            "kid": self.kid,
            "x": _b64(numbers.x),
            "y": _b64(numbers.y),
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk()]}

    @classmethod
    def generate(cls) -> SigningKey:
        key = ec.generate_private_key(ec.SECP256R1())
        return cls(kid=_kid(key), private_key=key)


def _kid(key: ec.EllipticCurvePrivateKey) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()[:16]


def load_or_create(path: Path) -> SigningKey:
    """Read the PEM key at ``path``; create it (mode 0600) when missing."""
    if path.exists():
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{path} does not hold an EC private key")
        return SigningKey(kid=_kid(loaded), private_key=loaded)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = SigningKey.generate()
    _write_pem(path, key)
    return key


def jwks_json(key: SigningKey) -> str:
    return json.dumps(key.jwks())


RETIRED_DIR = "retired-signing-keys"
#: The running apps look at the key files at most this often (a rotation by the CLI, or
#: by another replica sharing the data directory, is seen within a second).
RELOAD_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class RetiredKey:
    key: SigningKey
    until: float  # epoch seconds: published and accepted until then


class KeyRing:
    """The current signing key plus retired ones still inside their overlap window.

    Files: ``<dir>/<name>`` (the current key, PEM) and ``<dir>/retired-signing-keys/
    <until>-<kid>.pem``. Rotation (:meth:`rotate`) retires the current key for ``overlap``
    seconds — longer than the longest token it signed can live — and makes a new one: tokens
    signed before keep verifying, the JWKS publishes both, and verifiers that meet the new
    ``kid`` refetch the JWKS (network_common.jwks). Expired retired keys are deleted.
    """

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.retired_dir = path.parent / RETIRED_DIR
        self._clock = clock
        self._checked = 0.0
        self._stamp: tuple[float, float] | None = None
        self._current = load_or_create(path)
        self._retired: list[RetiredKey] = []
        self._load_retired()

    def _state_stamp(self) -> tuple[float, float]:
        def mtime(p: Path) -> float:
            try:
                return p.stat().st_mtime_ns / 1e9
            except FileNotFoundError:
                return 0.0

        return (mtime(self.path), mtime(self.retired_dir))

    def _load_retired(self) -> None:
        retired: list[RetiredKey] = []
        if self.retired_dir.is_dir():
            for file in sorted(self.retired_dir.glob("*.pem")):
                until_text = file.stem.partition("-")[0]
                try:
                    until = float(until_text)
                    loaded = serialization.load_pem_private_key(file.read_bytes(), password=None)
                except (ValueError, OSError):
                    continue
                if isinstance(loaded, ec.EllipticCurvePrivateKey):
                    retired.append(RetiredKey(SigningKey(_kid(loaded), loaded), until))
        self._retired = retired
        self._stamp = self._state_stamp()

    def refresh(self) -> None:
        """Pick up a rotation made by another process (checked at most once a second)."""
        now = time.monotonic()
        if now - self._checked < RELOAD_SECONDS:
            return
        self._checked = now
        if self._state_stamp() != self._stamp:
            if self.path.exists():
                self._current = load_or_create(self.path)
            self._load_retired()

    @property
    def current(self) -> SigningKey:
        self.refresh()
        return self._current

    def published(self) -> list[SigningKey]:
        """The current key and the retired ones whose overlap has not ended."""
        self.refresh()
        now = self._clock()
        return [self._current] + [
            r.key for r in self._retired if r.until > now and r.key.kid != self._current.kid
        ]

    def retired(self) -> list[RetiredKey]:
        self.refresh()
        return list(self._retired)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.public_jwk() for k in self.published()]}

    def public_key(self, kid: str | None) -> Any | None:
        """The public key for ``kid`` if it is current or inside its overlap window."""
        for key in self.published():
            if key.kid == kid:
                return key.private_key.public_key()
        return None

    def rotate(self, *, overlap_seconds: float) -> SigningKey:
        """Retire the current key for ``overlap_seconds`` and make a new current key."""
        now = self._clock()
        self.retired_dir.mkdir(parents=True, exist_ok=True)
        old = load_or_create(self.path)
        until = int(now + overlap_seconds)
        _write_pem(self.retired_dir / f"{until}-{old.kid}.pem", old)
        new = SigningKey.generate()
        temporary = self.path.with_suffix(".new")
        temporary.unlink(missing_ok=True)
        _write_pem(temporary, new)
        os.replace(temporary, self.path)
        for file in self.retired_dir.glob("*.pem"):
            until_text = file.stem.partition("-")[0]
            if until_text.isdigit() and int(until_text) <= now:
                file.unlink(missing_ok=True)
        self._checked = 0.0
        self._stamp = None
        self.refresh()
        return new


def _write_pem(path: Path, key: SigningKey) -> None:
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
