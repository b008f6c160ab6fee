"""The libraries an operator works for, as their token's role grants say (DOMAIN §7)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Scope:
    """The libraries an operator works for; ``institution`` means all of them."""

    institution: bool
    libraries: frozenset[int] = field(default_factory=frozenset)
    session_id: str | None = None

    @classmethod
    def whole_institution(cls, session_id: str | None = None) -> Scope:
        return cls(institution=True, session_id=session_id)

    def covers(self, library_id: int | None) -> bool:
        """Whether a library-scoped action on ``library_id`` is within this scope.

        ``None`` stands for the institution itself, which only institution scope covers.
        """
        return self.institution or (library_id is not None and library_id in self.libraries)
