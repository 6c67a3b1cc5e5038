"""Grading every question kind, reading forms (display positions, mapped back through the
attempt's layout), and tampering."""
import pytest
from werkzeug.datastructures import MultiDict

from training.content.model import Choice, Question, Quiz
from training.learn.grading import TamperedAnswer, grade, is_correct, read_answers
from training.learn.quiz_layout import Layout, QuestionLayout

CH = tuple(Choice(i, f"選択肢{i}") for i in "abcd")
SINGLE = Question("q1", "single", "一つ", "解説", choices=CH[:3], answer="b")
MULTIPLE = Question("q2", "multiple", "すべて", "解説", choices=CH, answer=("a", "c"))
ORDERING = Question("q3", "ordering", "順番", "解説", choices=CH[:3], answer=("c", "a", "b"))
MATCHING = Question("q4", "matching", "組み合わせ", "解説",
                    items=(Choice("debt", "借金"), Choice("care", "介護")),
                    options=(Choice("s", "生活サポートセンター"), Choice("h", "地域包括支援センター")),
                    answer=(("debt", "s"), ("care", "h")))
QUIZ = Quiz("check", "確認", (), (SINGLE, MULTIPLE, ORDERING, MATCHING))

#: As shown: q1 c, a, b; q2 d, c, b, a; q3 b, c, a; q4 items care, debt and options h, s.
LAYOUT = Layout((QuestionLayout("q1", choices=("c", "a", "b")), QuestionLayout("q2", choices=("d", "c", "b", "a")),
                 QuestionLayout("q3", choices=("b", "c", "a")),
                 QuestionLayout("q4", items=("care", "debt"), options=("h", "s"))))
#: Positions: q1 "b" is shown 3rd; q2 "a", "c" 4th and 2nd; q3 ranks of b, c, a (shown 1st, 2nd,
#: 3rd) are 3, 1, 2; q4 care (shown 1st) -> h (1st option), debt (2nd) -> s (2nd).
RIGHT = MultiDict([("q-q1", "3"), ("q-q2", "4"), ("q-q2", "2"), ("q-q3-1", "3"), ("q-q3-2", "1"), ("q-q3-3", "2"),
                   ("q-q4-1", "1"), ("q-q4-2", "2")])


def test_all_right():
    answers, problems = read_answers(QUIZ, LAYOUT, RIGHT)
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
    answers, _ = read_answers(QUIZ, LAYOUT, RIGHT)
    answers["q1"] = "a"
    result = grade(QUIZ, answers, 80)
    assert (result.score, result.percent, result.passed) == (3, 75, False)
    assert grade(QUIZ, answers, 75).passed


def test_unanswered_questions_are_problems_not_errors():
    answers, problems = read_answers(QUIZ, LAYOUT, MultiDict([("q-q1", "3")]))
    assert set(problems) == {"q2", "q3", "q4"}
    assert answers == {"q1": "b"}


def test_ordering_with_a_repeated_position():
    form = MultiDict([*RIGHT.items(multi=True)])
    form.setlist("q-q3-3", ["1"])
    _answers, problems = read_answers(QUIZ, LAYOUT, form)
    assert "同じ順番" in problems["q3"]


@pytest.mark.parametrize(("field", "value"), [
    ("q-q1", "b"), ("q-q1", "4"), ("q-q1", "0"), ("q-q1", "²"), ("q-q2", "zzz"), ("q-q2", "5"), ("q-q3-1", "9"),
    ("q-q3-1", "x"), ("q-q4-1", "s"), ("q-q4-2", "3"),
    ("q-q5", "1"),        # a question this attempt did not ask
    ("q-q3-4", "1"),      # an item the question does not have
    ("q-q3-c", "1"),      # a field named by choice id, as before positions
])
def test_tampered_values_raise(field, value):
    form = MultiDict([*RIGHT.items(multi=True)])
    form.setlist(field, [value])
    with pytest.raises(TamperedAnswer):
        read_answers(QUIZ, LAYOUT, form)


def test_multiple_with_duplicate_ids_is_tampering():
    form = MultiDict([*RIGHT.items(multi=True)])
    form.setlist("q-q2", ["4", "4"])
    with pytest.raises(TamperedAnswer):
        read_answers(QUIZ, LAYOUT, form)


def test_a_single_choice_sent_twice_is_tampering():
    form = MultiDict([*RIGHT.items(multi=True)])
    form.setlist("q-q1", ["3", "1"])
    with pytest.raises(TamperedAnswer):
        read_answers(QUIZ, LAYOUT, form)


def test_grading_a_layout_counts_only_its_questions():
    """A pool's attempt is marked out of the questions it asked, in their order."""
    asked = Layout((QuestionLayout("q3", choices=("a", "b", "c")), QuestionLayout("q1", choices=("a", "b", "c"))))
    result = grade(QUIZ, {"q1": "b", "q3": ["a", "b", "c"]}, 80, asked)
    assert [r.question.id for r in result.results] == ["q3", "q1"]
    assert (result.score, result.max_score, result.passed) == (1, 2, False)
