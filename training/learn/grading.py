"""Reading quiz answers from a form and grading them. Plain functions, no HTTP, no database."""
from __future__ import annotations

from dataclasses import dataclass

from training.content.model import Question, Quiz
from training.integers import parse_int


class TamperedAnswer(ValueError):
    """The form holds ids that the quiz never offered: nothing may be stored."""


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    given: object            # as stored: str, list, or dict
    correct: bool


@dataclass(frozen=True)
class QuizResult:
    results: tuple[QuestionResult, ...]
    score: int
    max_score: int
    pass_percent: int

    @property
    def percent(self) -> int:
        return round(100 * self.score / self.max_score) if self.max_score else 0

    @property
    def passed(self) -> bool:
        return self.percent >= self.pass_percent


def field_name(question: Question, part: str | None = None) -> str:
    """The form field of a question (or of one of its items)."""
    return f"q-{question.id}" + (f"-{part}" if part else "")


def read_answers(quiz: Quiz, form) -> tuple[dict[str, object], dict[str, str]]:
    """Parse a submitted quiz form.

    Returns (answers, problems): ``answers`` maps question id to the stored form of the
    answer; ``problems`` maps question id to a Japanese message for questions left
    unanswered or answered inconsistently (e.g. the same position twice). Raises
    TamperedAnswer if the form names a choice, item or position the quiz does not have.
    """
    answers: dict[str, object] = {}
    problems: dict[str, str] = {}
    for question in quiz.questions:
        kind = question.kind
        if kind == "single":
            value = form.get(field_name(question))
            if value is None or value == "":
                problems[question.id] = "選択肢を1つ選んでください。"
            elif value not in {c.id for c in question.choices}:
                raise TamperedAnswer(question.id)
            else:
                answers[question.id] = value
        elif kind == "multiple":
            values = form.getlist(field_name(question))
            ids = {c.id for c in question.choices}
            if any(v not in ids for v in values) or len(values) != len(set(values)):
                raise TamperedAnswer(question.id)
            if not values:
                problems[question.id] = "当てはまるものをすべて選んでください（1つ以上）。"
            else:
                answers[question.id] = [c.id for c in question.choices if c.id in values]
        elif kind == "ordering":
            n = len(question.choices)
            ranks = {}
            for choice in question.choices:
                raw = form.get(field_name(question, choice.id), "")
                if raw == "":
                    continue
                rank = parse_int(raw, minimum=1, maximum=n)  # ASCII digits only: "²" is tampering
                if rank is None:
                    raise TamperedAnswer(question.id)
                ranks[choice.id] = rank
            if len(ranks) < n:
                problems[question.id] = "すべての項目に順番を選んでください。"
            elif len(set(ranks.values())) < n:
                problems[question.id] = "同じ順番が2つ以上あります。1から順に1回ずつ選んでください。"
            else:
                answers[question.id] = sorted(ranks, key=ranks.get)
        elif kind == "matching":
            options = {o.id for o in question.options}
            chosen = {}
            for item in question.items:
                raw = form.get(field_name(question, item.id), "")
                if raw == "":
                    continue
                if raw not in options:
                    raise TamperedAnswer(question.id)
                chosen[item.id] = raw
            if len(chosen) < len(question.items):
                problems[question.id] = "すべての項目に組み合わせる窓口を選んでください。"
            else:
                answers[question.id] = chosen
    return answers, problems


def is_correct(question: Question, given) -> bool:
    """Whether a stored answer is fully right (no partial credit)."""
    if question.kind == "single":
        return given == question.answer
    if question.kind == "multiple":
        return set(given or ()) == set(question.answer)
    if question.kind == "ordering":
        return list(given or ()) == list(question.answer)
    if question.kind == "matching":
        return dict(given or {}) == question.answer_map
    return False


def grade(quiz: Quiz, answers: dict[str, object], pass_percent: int) -> QuizResult:
    """Grade stored answers against the quiz: one point per fully correct question."""
    results = tuple(QuestionResult(q, answers.get(q.id), is_correct(q, answers.get(q.id))) for q in quiz.questions)
    return QuizResult(results=results, score=sum(r.correct for r in results), max_score=len(results),
                      pass_percent=pass_percent)
