"""A core module's quiz asks each course its own questions (issue 14): a question tagged
``audiences: [teachers]`` is never drawn for a clerk, however often the clerk retries, and a
teacher meets it. The pool is tests/fixtures/quiz-pool/pool-check.yaml with two of its eight
questions tagged for teachers, in a copy of the shipped content."""
from pathlib import Path

import pytest

from tests.support.learner import Learner, QuizPage
from tests.support.pool_tree import POOL_FILE, POOL_MODULE, build_pool_tree
from training.content import load_checked

TEACHERS_ONLY = ("p1", "p5")


def _tagged() -> str:
    text = POOL_FILE.read_text(encoding="utf-8")
    for qid in TEACHERS_ONLY:
        text = text.replace(f"  - id: {qid}\n", f"  - id: {qid}\n    audiences: [teachers]\n", 1)
    return text


@pytest.fixture(scope="module")
def pool_root(tmp_path_factory) -> Path:
    return build_pool_tree(tmp_path_factory.mktemp("audience-pool"), _tagged())


@pytest.fixture
def app_config(app_config, pool_root):
    return {**app_config, "CONTENT_ROOT": str(pool_root)}


def _asked_over_attempts(client, login_as, pool_root, audience, course, attempts):
    content = load_checked(pool_root)
    login_as("trainee", audience=audience)
    learner = Learner(client, content, course)
    learner.pre_survey()
    asked = []
    for _ in range(attempts):
        asked.append(QuizPage(client.get(f"/learn/{course}/m/{POOL_MODULE}/quiz").get_data(as_text=True)).questions)
        learner.take_quiz(POOL_MODULE, correct=False)
    return content, asked


def test_a_clerk_is_never_asked_a_question_for_teachers(client, login_as, pool_root):
    content, asked = _asked_over_attempts(client, login_as, pool_root, "counter_staff", "counter-staff", 4)
    quiz = content.quiz("pool-check")
    assert quiz.question("p1").audiences == ("teachers",)
    for questions in asked:
        assert len(questions) == 4 and not set(questions) & set(TEACHERS_ONLY)
        assert {quiz.question(q).objective for q in questions} == {"roles", "together"}
    # Six questions are the clerk's: over four attempts every one of them is met.
    assert set().union(*map(set, asked)) == {"p2", "p3", "p4", "p6", "p7", "p8"}


def test_a_teacher_meets_the_teachers_questions(client, login_as, pool_root):
    _content, asked = _asked_over_attempts(client, login_as, pool_root, "teachers", "teachers", 2)
    # Two attempts of four from eight, unseen questions first: all eight are met.
    assert set().union(*map(set, asked)) >= set(TEACHERS_ONLY)


def test_every_attempt_asks_one_question_of_the_trainee_s_own_setting(pool_root):
    """A core quiz's own questions for an audience come first, so no attempt of a teacher is
    made of the shared questions alone (with two of eight tagged, a plain draw of four would
    skip them in about a fifth of attempts)."""
    import random

    from training.learn.quiz_layout import draw_questions

    quiz = load_checked(pool_root).quiz("pool-check").for_audience("teachers")
    for seed in range(200):
        drawn = [q.id for q in draw_questions(quiz, random.Random(seed))]
        assert len(drawn) == 4 and set(drawn) & set(TEACHERS_ONLY), (seed, drawn)
        assert {quiz.question(q).objective for q in drawn} == {"roles", "together"}
