"""Grading every question kind, reading forms, and tampering."""
import pytest
from werkzeug.datastructures import MultiDict

from training.content.model import Choice, Question, Quiz
from training.learn.grading import TamperedAnswer, grade, is_correct, read_answers

CH = tuple(Choice(i, f"選択肢{i}") for i in "abcd")
SINGLE = Question("q1", "single", "一つ", "解説", choices=CH[:3], answer="b")
MULTIPLE = Question("q2", "multiple", "すべて", "解説", choices=CH, answer=("a", "c"))
ORDERING = Question("q3", "ordering", "順番", "解説", choices=CH[:3], answer=("c", "a", "b"))
MATCHING = Question("q4", "matching", "組み合わせ", "解説",
                    items=(Choice("debt", "借金"), Choice("care", "介護")),
                    options=(Choice("s", "生活サポートセンター"), Choice("h", "地域包括支援センター")),
                    answer=(("debt", "s"), ("care", "h")))
QUIZ = Quiz("check", "確認", (), (SINGLE, MULTIPLE, ORDERING, MATCHING))

RIGHT = MultiDict([("q-q1", "b"), ("q-q2", "a"), ("q-q2", "c"), ("q-q3-c", "1"), ("q-q3-a", "2"), ("q-q3-b", "3"),
                   ("q-q4-debt", "s"), ("q-q4-care", "h")])


def test_all_right():
    answers, problems = read_answers(QUIZ, RIGHT)
    assert problems == {}
    assert answers == {"q1": "b", "q2": ["a", "c"], "q3": ["c", "a", "b"], "q4": {"debt": "s", "care": "h"}}
    result = grade(QUIZ, answers, 80)
    assert (result.score, result.max_score, result.percent, result.passed) == (4, 4, 100, True)


@pytest.mark.parametrize(("question", "given", "correct"), [
    (SINGLE, "b", True), (SINGLE, "a", False), (SINGLE, None, False),
    (MULTIPLE, ["a", "c"], True), (MULTIPLE, ["c", "a"], True), (MULTIPLE, ["a"], False),
    (MULTIPLE, ["a", "b", "c"], False),
    (ORDERING, ["c", "a", "b"], True), (ORDERING, ["a", "c", "b"], False),
    (MATCHING, {"debt": "s", "care": "h"}, True), (MATCHING, {"debt": "h", "care": "s"}, False),
    (MATCHING, {"debt": "s"}, False),
])
def test_is_correct(question, given, correct):
    assert is_correct(question, given) is correct


def test_pass_mark():
    answers, _ = read_answers(QUIZ, RIGHT)
    answers["q1"] = "a"
    result = grade(QUIZ, answers, 80)
    assert (result.score, result.percent, result.passed) == (3, 75, False)
    assert grade(QUIZ, answers, 75).passed


def test_unanswered_questions_are_problems_not_errors():
    answers, problems = read_answers(QUIZ, MultiDict([("q-q1", "b")]))
    assert set(problems) == {"q2", "q3", "q4"}
    assert answers == {"q1": "b"}


def test_ordering_with_a_repeated_position():
    form = MultiDict([*RIGHT.items(multi=True)])
    form.setlist("q-q3-b", ["1"])
    _answers, problems = read_answers(QUIZ, form)
    assert "同じ順番" in problems["q3"]


@pytest.mark.parametrize(("field", "value"), [
    ("q-q1", "zzz"), ("q-q2", "zzz"), ("q-q3-a", "9"), ("q-q3-a", "x"), ("q-q4-debt", "nowhere"),
])
def test_tampered_values_raise(field, value):
    form = MultiDict([*RIGHT.items(multi=True)])
    form.setlist(field, [value])
    with pytest.raises(TamperedAnswer):
        read_answers(QUIZ, form)


def test_multiple_with_duplicate_ids_is_tampering():
    form = MultiDict([*RIGHT.items(multi=True)])
    form.setlist("q-q2", ["a", "a"])
    with pytest.raises(TamperedAnswer):
        read_answers(QUIZ, form)
