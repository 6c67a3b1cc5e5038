"""The marked quiz on the result page: every question as it was shown, with what the trainee
chose and what is right told apart in words, and the objectives a failed attempt missed.
Plain functions over content and a stored attempt; no HTTP, no database."""
from __future__ import annotations

from dataclasses import dataclass

from training.content.model import Choice, Module, Objective, Quiz, Section
from training.learn.grading import QuizResult, grade
from training.learn.quiz_layout import Layout, ShownQuestion, content_order, fits, shown_questions


@dataclass(frozen=True)
class ReviewedOption:
    """A single or multiple choice option, as shown, with whether it was chosen and is right."""

    choice: Choice
    chosen: bool
    right: bool

    @property
    def label(self) -> str:
        """The words that tell the option apart (never colour alone)."""
        if self.chosen and self.right:
            return "あなたの回答・正解"
        if self.chosen:
            return "あなたの回答（誤り）"
        return "正解" if self.right else ""


@dataclass(frozen=True)
class MatchRow:
    """A matching item, as shown: the right option and the one the trainee chose."""

    item: Choice
    right: Choice
    given: Choice | None

    @property
    def correct(self) -> bool:
        return self.given is not None and self.given.id == self.right.id


@dataclass(frozen=True)
class ReviewedQuestion:
    shown: ShownQuestion
    correct: bool
    options: tuple[ReviewedOption, ...] = ()      # single, multiple: in the order shown
    right_order: tuple[Choice, ...] = ()          # ordering
    given_order: tuple[Choice, ...] = ()          # ordering: the trainee's order
    rows: tuple[MatchRow, ...] = ()               # matching: in the order shown


@dataclass(frozen=True)
class MissedObjective:
    objective: Objective
    sections: tuple[Section, ...]                 # the ones this course's audience reads


@dataclass(frozen=True)
class Review:
    result: QuizResult
    questions: tuple[ReviewedQuestion, ...]
    missed: tuple[MissedObjective, ...]


def _reviewed(shown: ShownQuestion, given, correct: bool) -> ReviewedQuestion:
    question = shown.question
    if question.kind in ("single", "multiple"):
        picked = {given} if question.kind == "single" else set(given or ())
        right = {question.answer} if question.kind == "single" else set(question.answer or ())
        return ReviewedQuestion(shown, correct, options=tuple(
            ReviewedOption(c, c.id in picked, c.id in right) for _position, c in shown.choices))
    if question.kind == "ordering":
        by_id = {c.id: c for c in question.choices}
        return ReviewedQuestion(shown, correct, right_order=tuple(by_id[i] for i in question.answer),
                                given_order=tuple(by_id[i] for i in given or () if i in by_id))
    options = {o.id: o for o in question.options}
    answer, chosen = question.answer_map, dict(given or {})
    return ReviewedQuestion(shown, correct, rows=tuple(
        MatchRow(item, options[answer[item.id]], options.get(chosen.get(item.id))) for _position, item in shown.items))


def review(quiz: Quiz, answers: dict, layout_json, pass_percent: int, module: Module | None,
           audience: str) -> Review | None:
    """The marked attempt in its stored order, or None when the quiz changed since (the stored
    layout no longer fits it). Attempts stored without a layout are shown in content order."""
    layout = Layout.from_json(layout_json) if layout_json is not None else content_order(quiz)
    if layout is None or not fits(quiz, layout):
        return None
    result = grade(quiz, answers, pass_percent, layout)
    questions = tuple(_reviewed(shown, r.given, r.correct)
                      for shown, r in zip(shown_questions(quiz, layout), result.results))
    missed: list[MissedObjective] = []
    if not result.passed:
        wrong = {r.question.objective for r in result.results if not r.correct}
        sections = {s.id: s for s in module.sections_for(audience)} if module else {}
        missed = [MissedObjective(o, tuple(sections[s] for s in o.sections if s in sections))
                  for o in quiz.objectives if o.id in wrong]
    return Review(result, questions, tuple(missed))
