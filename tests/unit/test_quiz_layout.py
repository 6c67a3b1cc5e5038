"""Drawing a quiz's questions and shuffling its options: plain functions, seeded randomness."""
import random
from collections import Counter

import pytest

from training.content.model import Choice, Objective, Question, Quiz
from training.learn.quiz_layout import (Layout, QuestionLayout, content_order, draw_layout, draw_questions, fits,
                                        shown_questions)

CH = tuple(Choice(i, f"選択肢{i}") for i in "abcd")


def _single(qid: str, objective: str = "") -> Question:
    return Question(qid, "single", f"問題{qid}", "解説", choices=CH, answer="b", objective=objective)


ORDERING = Question("o1", "ordering", "順番", "解説", choices=CH[:3], answer=("a", "b", "c"))
MATCHING = Question("m1", "matching", "組み合わせ", "解説", items=(Choice("x", "項目x"), Choice("y", "項目y")),
                    options=(Choice("s", "窓口s"), Choice("t", "窓口t")), answer=(("x", "s"), ("y", "t")))
FIXED = Quiz("fixed", "確認", (), (_single("q1"), _single("q2"), ORDERING, MATCHING))
#: Eight questions, two objectives of four, four asked.
POOL = Quiz("pool", "確認", (), tuple(_single(f"p{n}", "notice" if n <= 4 else "connect") for n in range(1, 9)),
            draw=4, objectives=(Objective("notice", "気づく", ("s1",)), Objective("connect", "つなぐ", ("s2",))))


def test_without_draw_every_question_is_asked_in_content_order():
    assert draw_questions(FIXED, random.Random(1)) == FIXED.questions


@pytest.mark.parametrize("seed", range(30))
def test_a_pool_draws_its_number_covering_every_objective(seed):
    drawn = draw_questions(POOL, random.Random(seed))
    assert len(drawn) == 4 and {q.objective for q in drawn} == {"notice", "connect"}
    assert list(drawn) == [q for q in POOL.questions if q in drawn]  # content order


@pytest.mark.parametrize("seed", range(30))
def test_a_retry_prefers_questions_not_yet_seen(seed):
    first = draw_questions(POOL, random.Random(seed))
    second = draw_questions(POOL, random.Random(seed + 100), Counter(q.id for q in first))
    assert not set(first) & set(second)
    assert {q.objective for q in second} == {"notice", "connect"}


def test_seen_least_often_comes_first_once_all_were_seen():
    seen = Counter({f"p{n}": 2 for n in range(1, 9)})
    seen.update({"p1": -1, "p6": -1})  # met once only
    drawn = {q.id for q in draw_questions(POOL, random.Random(3), seen)}
    assert {"p1", "p6"} <= drawn


@pytest.mark.parametrize("seed", range(40))
def test_a_retry_never_repeats_the_order_it_showed_last(seed):
    rng = random.Random(seed)
    first = draw_layout(FIXED, rng)
    second = draw_layout(FIXED, rng, previous=first)
    for before, after in zip(first.questions, second.questions):
        assert (before.choices, before.items, before.options) != (after.choices, after.items, after.options)


@pytest.mark.parametrize("seed", range(40))
def test_an_ordering_question_is_never_shown_in_its_right_order(seed):
    layout = draw_layout(FIXED, random.Random(seed))
    assert layout.questions[2].choices != ORDERING.answer


@pytest.mark.parametrize("seed", range(40))
def test_a_matching_question_never_lines_each_item_up_with_its_answer(seed):
    entry = draw_layout(FIXED, random.Random(seed)).questions[3]
    answers = MATCHING.answer_map
    assert [answers[i] for i in entry.items] != list(entry.options)


def test_orders_vary_between_attempts():
    orders = {draw_layout(FIXED, random.Random(seed)).questions[0].choices for seed in range(50)}
    assert len(orders) > 10


def test_a_layout_survives_its_json_and_names_the_shown_options_by_position():
    layout = draw_layout(FIXED, random.Random(7))
    again = Layout.from_json(layout.to_json())
    assert again == layout and fits(FIXED, again)
    shown = shown_questions(FIXED, again)
    assert [s.number for s in shown] == [1, 2, 3, 4]
    assert [c.id for _n, c in shown[0].choices] == list(layout.questions[0].choices)
    assert [n for n, _c in shown[0].choices] == [1, 2, 3, 4]


@pytest.mark.parametrize("stored", [None, [], {"questions": "x"}, {"questions": [{"id": 3}]},
                                    {"questions": [{"id": "q1", "choices": "abcd"}]}])
def test_an_unreadable_layout_is_none(stored):
    assert Layout.from_json(stored) is None


@pytest.mark.parametrize("layout", [
    Layout(()),
    Layout((QuestionLayout("zz", choices=("a",)),)),                       # a question the quiz lacks
    Layout((QuestionLayout("q1", choices=("a", "b", "c")),)),              # a choice fewer
    Layout((QuestionLayout("q1", choices=("a", "b", "c", "e")),)),         # a choice the question lacks
    Layout((QuestionLayout("q1", choices=tuple("abcd")),) * 2),            # the same question twice
    Layout((QuestionLayout("m1", items=("x",), options=("s", "t")),)),     # an item fewer
])
def test_a_layout_that_names_other_content_does_not_fit(layout):
    assert not fits(FIXED, layout)


def test_content_order_fits_and_keeps_the_order_written():
    layout = content_order(FIXED)
    assert fits(FIXED, layout)
    assert layout.questions[0].choices == tuple("abcd") and layout.questions[3].options == ("s", "t")
