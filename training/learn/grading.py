"""Reading quiz answers from a form and grading them. Plain functions, no HTTP, no database."""
from __future__ import annotations

from dataclasses import dataclass

from training.content.model import Question, Quiz
from training.integers import parse_int
from training.learn.quiz_layout import Layout


class TamperedAnswer(ValueError):
    """The form holds positions or questions the attempt never offered: nothing may be stored."""


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


def field_name(question: Question, part: int | None = None) -> str:
    """The form field of a question, or of its item shown at display position ``part``."""
    return f"q-{question.id}" + (f"-{part}" if part else "")


def _position(raw: str, count: int) -> int | None:
    """A display position from 1 to ``count`` (ASCII digits only: "²" is tampering), or None."""
    return parse_int(raw, minimum=1, maximum=count)


def read_answers(quiz: Quiz, layout: Layout, form) -> tuple[dict[str, object], dict[str, str]]:
    """Parse a submitted quiz form against the attempt's layout.

    Form values are display positions; they are mapped back to choice ids through ``layout``
    (one that ``fits`` the quiz). Returns (answers, problems): ``answers`` maps question id to
    the stored form of the answer, by choice id; ``problems`` maps question id to a Japanese
    message for questions left unanswered or answered inconsistently (e.g. the same position
    twice). Raises TamperedAnswer if the form holds a position out of range, a value that is
    no position, or an answer for a question that was not drawn.
    """
    answers: dict[str, object] = {}
    problems: dict[str, str] = {}
    expected: set[str] = set()
    for entry in layout.questions:
        question = quiz.question(entry.id)
        kind, name = question.kind, field_name(question)
        if kind == "single":
            expected.add(name)
            value = form.get(name)
            if value is None or value == "":
                problems[question.id] = "選択肢を1つ選んでください。"
                continue
            position = _position(value, len(entry.choices))
            if position is None or len(form.getlist(name)) > 1:
                raise TamperedAnswer(question.id)
            answers[question.id] = entry.choices[position - 1]
        elif kind == "multiple":
            expected.add(name)
            positions = [_position(v, len(entry.choices)) for v in form.getlist(name)]
            if None in positions or len(positions) != len(set(positions)):
                raise TamperedAnswer(question.id)
            if not positions:
                problems[question.id] = "当てはまるものをすべて選んでください（1つ以上）。"
            else:
                picked = {entry.choices[p - 1] for p in positions}
                answers[question.id] = [c.id for c in question.choices if c.id in picked]  # content order
        elif kind == "ordering":
            n = len(entry.choices)
            ranks = {}
            for shown, choice_id in enumerate(entry.choices, start=1):
                expected.add(field_name(question, shown))
                raw = form.get(field_name(question, shown), "")
                if raw == "":
                    continue
                rank = _position(raw, n)
                if rank is None:
                    raise TamperedAnswer(question.id)
                ranks[choice_id] = rank
            if len(ranks) < n:
                problems[question.id] = "すべての項目に順番を選んでください。"
            elif len(set(ranks.values())) < n:
                problems[question.id] = "同じ順番が2つ以上あります。1から順に1回ずつ選んでください。"
            else:
                answers[question.id] = sorted(ranks, key=ranks.get)
        elif kind == "matching":
            chosen = {}
            for shown, item_id in enumerate(entry.items, start=1):
                expected.add(field_name(question, shown))
                raw = form.get(field_name(question, shown), "")
                if raw == "":
                    continue
                position = _position(raw, len(entry.options))
                if position is None:
                    raise TamperedAnswer(question.id)
                chosen[item_id] = entry.options[position - 1]
            if len(chosen) < len(entry.items):
                problems[question.id] = "すべての項目に組み合わせる窓口を選んでください。"
            else:
                answers[question.id] = chosen
    strays = [key for key in form if key.startswith("q-") and key not in expected]
    if strays:  # an answer for a question (or an item) this attempt did not ask
        raise TamperedAnswer(strays[0])
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


def grade(quiz: Quiz, answers: dict[str, object], pass_percent: int, layout: Layout | None = None) -> QuizResult:
    """Grade stored answers: one point per fully correct question of the attempt's ``layout``
    (in its order), or of the whole quiz for attempts stored without one."""
    questions = [quiz.question(i) for i in layout.question_ids] if layout else quiz.questions
    results = tuple(QuestionResult(q, answers.get(q.id), is_correct(q, answers.get(q.id))) for q in questions)
    return QuizResult(results=results, score=sum(r.correct for r in results), max_score=len(results),
                      pass_percent=pass_percent)
