"""What an import reports: problems located by line or record, counts, refusal."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Problem:
    where: str  # "line 12", "record 7 (byte 5120)", or "file"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[Problem] = field(default_factory=list)

    def summary(self, what: str) -> str:
        text = f"{self.created} {what} created, {self.updated} updated, {self.unchanged} unchanged"
        if self.skipped:
            text += f", {len(self.skipped)} bad row(s) skipped"
        return text


class ImportRefused(Exception):
    """Nothing was written; ``problems`` says why, each with its location."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def file_problem(message: str) -> ImportRefused:
    return ImportRefused([Problem("file", message)])
