"""Reading an eval set: JSON Lines in the format of the shared eval README.

Unknown fields are ignored. A malformed line (bad JSON, not an object, a missing
field, a field of the wrong type, a duplicate id) is reported with its 1-based line
number and skipped; the other lines are still scored. Blank lines are skipped.
``reference_answer`` is only for people reading reports, so it may be missing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kfqa.types import KfqaError

CATEGORIES = ("assessment", "review", "docs", "audit", "cross-source", "comparison", "history", "unanswerable")


@dataclass(frozen=True)
class Evidence:
    source: str  # path relative to the corpus root
    quote: str


@dataclass
class Question:
    id: str
    question: str
    category: str
    answerable: bool
    evidence: list[Evidence]
    key_facts: list[list[str]]  # each inner list: alternative phrasings of one fact
    reference_answer: str = ""
    line: int = 0

    @property
    def evidence_sources(self) -> set[str]:
        return {e.source for e in self.evidence}


@dataclass
class LoadProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class QuestionSet:
    path: Path
    questions: list[Question] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)


def _parse(row: Any) -> Question:
    """One JSON value -> Question, or ValueError saying what is wrong."""
    if not isinstance(row, dict):
        raise ValueError(f"expected a JSON object, got {type(row).__name__}")
    for name in ("id", "question", "category", "answerable", "evidence", "key_facts"):
        if name not in row:
            raise ValueError(f"missing field {name!r}")
    for name in ("id", "question", "category"):
        if not isinstance(row[name], str) or not row[name].strip():
            raise ValueError(f"field {name!r} must be a non-empty string")
    if not isinstance(row["answerable"], bool):
        raise ValueError("field 'answerable' must be true or false")
    evidence = row["evidence"]
    if not isinstance(evidence, list):
        raise ValueError("field 'evidence' must be a list")
    items = []
    for i, ev in enumerate(evidence):
        if not (isinstance(ev, dict) and isinstance(ev.get("source"), str) and isinstance(ev.get("quote"), str)):
            raise ValueError(f"evidence[{i}] must be an object with string 'source' and 'quote'")
        if not ev["quote"].strip() or not ev["source"].strip():
            raise ValueError(f"evidence[{i}] has an empty source or quote")
        items.append(Evidence(source=ev["source"].strip().removeprefix("./"), quote=ev["quote"]))
    facts = row["key_facts"]
    if not isinstance(facts, list) or not all(
        isinstance(f, list) and f and all(isinstance(a, str) and a.strip() for a in f) for f in facts
    ):
        raise ValueError("field 'key_facts' must be a list of non-empty lists of non-empty strings")
    reference = row.get("reference_answer", "")
    if not isinstance(reference, str):
        raise ValueError("field 'reference_answer' must be a string")
    if row["answerable"] and not items:
        raise ValueError("answerable question without evidence")
    return Question(
        id=row["id"],
        question=row["question"],
        category=row["category"],
        answerable=row["answerable"],
        evidence=items,
        key_facts=[list(f) for f in facts],
        reference_answer=reference,
    )


def parse_lines(lines: list[str], path: Path | None = None) -> QuestionSet:
    qset = QuestionSet(path=path or Path("<lines>"))
    seen: set[str] = set()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            qset.problems.append(LoadProblem(n, f"bad JSON ({exc.msg} at column {exc.colno})"))
            continue
        try:
            q = _parse(row)
        except ValueError as exc:
            qid = row.get("id") if isinstance(row, dict) else None
            qset.problems.append(LoadProblem(n, f"{exc}" + (f" (id {qid!r})" if isinstance(qid, str) else "")))
            continue
        if q.id in seen:
            qset.problems.append(LoadProblem(n, f"duplicate id {q.id!r}; line skipped"))
            continue
        seen.add(q.id)
        q.line = n
        qset.questions.append(q)
    return qset


def load_questions(path: Path) -> QuestionSet:
    """Read an eval set; raise KfqaError only when the file can't be read at all."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise KfqaError(f"No question file at {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise KfqaError(f"Can't read the question file {path}: {exc}") from exc
    return parse_lines(text.splitlines(), path)
