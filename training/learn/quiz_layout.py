"""What one attempt at a check quiz shows: the questions drawn and the order of every option.

A layout is drawn once per attempt (when the quiz page is first shown) and stored with it,
so the page, a reload, a resubmission and the result page all show the same order. The page
never names a choice: its form values are display positions (1, 2, …), mapped back to choice
ids here through the stored layout, so the content's ids (``a``, ``b``, …) cannot be a cue in
the page source. Plain functions and frozen dataclasses: no HTTP, no database.
"""
from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import dataclass

from training.content.model import Choice, Question, Quiz

#: Tries at a shuffle that avoids the orders it must not repeat, before walking the permutations.
SHUFFLE_TRIES = 20


@dataclass(frozen=True)
class QuestionLayout:
    """One drawn question: its choice ids (single, multiple, ordering) or its item and option ids
    (matching), each in the order shown."""

    id: str
    choices: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    options: tuple[str, ...] = ()

    def to_json(self) -> dict:
        if self.items or self.options:
            return {"id": self.id, "items": list(self.items), "options": list(self.options)}
        return {"id": self.id, "choices": list(self.choices)}


@dataclass(frozen=True)
class Layout:
    """The questions of one attempt, in the order asked."""

    questions: tuple[QuestionLayout, ...]

    @property
    def question_ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions)

    def to_json(self) -> dict:
        return {"questions": [q.to_json() for q in self.questions]}

    @classmethod
    def from_json(cls, data) -> Layout | None:
        """The layout as stored, or None when the value is not a layout (never raises)."""
        if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
            return None
        questions = []
        for entry in data["questions"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                return None
            parts = {}
            for key in ("choices", "items", "options"):
                value = entry.get(key, [])
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    return None
                parts[key] = tuple(value)
            questions.append(QuestionLayout(entry["id"], **parts))
        return cls(tuple(questions))


@dataclass(frozen=True)
class ShownQuestion:
    """A question as the page shows it: its number, and its options in the layout's order.

    ``choices``, ``items`` and ``options`` are (display position, Choice) pairs; the position
    (from 1) is the form value, never the choice id.
    """

    number: int
    question: Question
    choices: tuple[tuple[int, Choice], ...] = ()
    items: tuple[tuple[int, Choice], ...] = ()
    options: tuple[tuple[int, Choice], ...] = ()


def _ordered(parts: tuple[Choice, ...], ids: tuple[str, ...]) -> tuple[tuple[int, Choice], ...]:
    by_id = {c.id: c for c in parts}
    return tuple((position, by_id[i]) for position, i in enumerate(ids, start=1))


def fits(quiz: Quiz, layout: Layout) -> bool:
    """Whether the layout names exactly this quiz's questions and options (a content change
    since it was drawn makes it stale)."""
    seen = set()
    for entry in layout.questions:
        question = quiz.question(entry.id)
        if question is None or entry.id in seen:
            return False
        seen.add(entry.id)
        if question.kind == "matching":
            if sorted(entry.items) != sorted(i.id for i in question.items) or \
                    sorted(entry.options) != sorted(o.id for o in question.options):
                return False
        elif sorted(entry.choices) != sorted(c.id for c in question.choices):
            return False
    return bool(layout.questions)


def shown_questions(quiz: Quiz, layout: Layout) -> tuple[ShownQuestion, ...]:
    """The questions of a layout that ``fits`` the quiz, ready for the page."""
    shown = []
    for number, entry in enumerate(layout.questions, start=1):
        question = quiz.question(entry.id)
        shown.append(ShownQuestion(number, question, choices=_ordered(question.choices, entry.choices),
                                   items=_ordered(question.items, entry.items),
                                   options=_ordered(question.options, entry.options)))
    return tuple(shown)


def content_order(quiz: Quiz) -> Layout:
    """Every question and option in the content's order: attempts stored before layouts existed."""
    return Layout(tuple(
        QuestionLayout(q.id, items=tuple(i.id for i in q.items), options=tuple(o.id for o in q.options))
        if q.kind == "matching" else QuestionLayout(q.id, choices=tuple(c.id for c in q.choices))
        for q in quiz.questions))


def draw_questions(quiz: Quiz, rng: random.Random, seen: Counter | None = None) -> tuple[Question, ...]:
    """The questions one attempt asks, in the content's order.

    Without ``draw``, every question. With it, ``draw`` questions covering every objective: one
    meant for the course's audience first (when the quiz has such questions), one per objective
    not yet covered, then the rest; at each pick the questions this trainee has met least
    often (``seen``: question id -> attempts it was asked in) come first, ties broken at random.
    """
    if quiz.asks >= len(quiz.questions):
        return quiz.questions
    seen = seen or Counter()
    rank = {q.id: (seen.get(q.id, 0), rng.random()) for q in quiz.questions}
    chosen: list[str] = []
    # A question meant for this course's audience only (a core quiz filtered by for_audience)
    # comes first, so every attempt asks at least one about the trainee's own setting.
    own = [q.id for q in quiz.questions if q.audiences]
    if own:
        chosen.append(min(own, key=rank.__getitem__))
    for objective in quiz.objectives:
        if any(quiz.question(c).objective == objective.id for c in chosen):
            continue
        candidates = [q.id for q in quiz.questions if q.objective == objective.id and q.id not in chosen]
        if candidates and len(chosen) < quiz.asks:
            chosen.append(min(candidates, key=rank.__getitem__))
    rest = sorted((q.id for q in quiz.questions if q.id not in chosen), key=rank.__getitem__)
    chosen.extend(rest[:quiz.asks - len(chosen)])
    return tuple(q for q in quiz.questions if q.id in chosen)


def _shuffled(ids: tuple[str, ...], rng: random.Random, avoid: set[tuple[str, ...]]) -> tuple[str, ...]:
    """A random order of ``ids`` that is none of ``avoid`` when another order exists."""
    order = list(ids)
    for _ in range(SHUFFLE_TRIES):
        rng.shuffle(order)
        if tuple(order) not in avoid:
            return tuple(order)
    # Only reached when nearly every order is to be avoided (two options): take one that is not.
    return next((p for p in itertools.permutations(ids) if p not in avoid), tuple(order))


def draw_layout(quiz: Quiz, rng: random.Random, seen: Counter | None = None,
                previous: Layout | None = None) -> Layout:
    """A new attempt's layout: the drawn questions, each with its options shuffled.

    A question asked in the ``previous`` attempt never shows the same order again, so a
    retry cannot be answered by position; an ordering question is never shown already in its
    right order, and a matching question shuffles both its columns (content often lists the
    items in the same order as their options).
    """
    before = {q.id: q for q in previous.questions} if previous else {}
    drawn = []
    for question in draw_questions(quiz, rng, seen):
        last = before.get(question.id)
        if question.kind == "matching":
            # A new row order is enough to change the page; the options then only avoid
            # lining each item up with its own answer.
            items = _shuffled(tuple(i.id for i in question.items), rng, {last.items} if last else set())
            avoid = set()
            answers = question.answer_map
            if len(question.options) == len(items) and all(i in answers for i in items):
                avoid.add(tuple(answers[i] for i in items))  # each item's answer on its own row
            drawn.append(QuestionLayout(question.id, items=items,
                                        options=_shuffled(tuple(o.id for o in question.options), rng, avoid)))
            continue
        avoid = {last.choices} if last else set()
        if question.kind == "ordering":
            avoid.add(tuple(question.answer or ()))
        drawn.append(QuestionLayout(question.id, choices=_shuffled(tuple(c.id for c in question.choices), rng,
                                                                   avoid)))
    return Layout(tuple(drawn))
