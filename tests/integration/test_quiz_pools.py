"""Question pools through the pages (issue 13): a quiz holding eight questions asks four, covers
both objectives, a retry asks the ones not yet met, and a failed attempt names the missed
objectives with links back to their sections. The pool is tests/fixtures/quiz-pool/pool-check.yaml,
put in place of the first module's quiz in a copy of the shipped content."""
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support.learner import SUBMISSION, Learner, QuizPage, csrf, quiz_form
from tests.support.pool_tree import POOL_MODULE, build_pool_tree
from training.content import load_checked
from training.extensions import db
from training.models import QuizAttempt, QuizSitting

MODULE = POOL_MODULE


@pytest.fixture(scope="module")
def pool_root(tmp_path_factory) -> Path:
    return build_pool_tree(tmp_path_factory.mktemp("pool-content"))


@pytest.fixture
def app_config(app_config, pool_root):
    return {**app_config, "CONTENT_ROOT": str(pool_root)}


@pytest.fixture
def content(pool_root):
    return load_checked(pool_root)


def _start(client, login_as, content):
    user_id, _ = login_as("trainee", audience="counter_staff")
    learner = Learner(client, content, "counter-staff")
    learner.pre_survey()
    return user_id, learner


def _asked(html: str) -> list[str]:
    return QuizPage(html).questions


def test_the_pool_tree_is_valid_and_the_quiz_is_a_pool(content):
    quiz = content.quiz("pool-check")
    assert (quiz.draw, len(quiz.questions), [o.id for o in quiz.objectives]) == (4, 8, ["roles", "together"])


def test_an_attempt_asks_its_number_covering_every_objective(client, login_as, content):
    _start(client, login_as, content)
    quiz = content.quiz("pool-check")
    html = client.get(f"/learn/counter-staff/m/{MODULE}/quiz").get_data(as_text=True)
    asked = _asked(html)
    assert len(asked) == 4 and "4問" in html and "問題は解答のたびに選び直されます" in html
    assert {quiz.question(q).objective for q in asked} == {"roles", "together"}
    for question in quiz.questions:
        assert (question.prompt in html) == (question.id in asked)


def test_a_retry_asks_the_questions_not_yet_met(app, client, login_as, content):
    user_id, learner = _start(client, login_as, content)
    page = f"/learn/counter-staff/m/{MODULE}/quiz"
    first = _asked(client.get(page).get_data(as_text=True))
    learner.take_quiz(MODULE, correct=False)
    second = _asked(client.get(page).get_data(as_text=True))
    assert len(second) == 4 and not set(first) & set(second)
    quiz = content.quiz("pool-check")
    assert {quiz.question(q).objective for q in second} == {"roles", "together"}
    with app.app_context():
        attempt = db.session.scalar(select(QuizAttempt).where(QuizAttempt.user_id == user_id))
        assert sorted(attempt.answers) == sorted(first) and attempt.max_score == 4


def test_an_answer_for_a_question_not_drawn_stores_nothing(app, client, login_as, content):
    user_id, _ = _start(client, login_as, content)
    page = f"/learn/counter-staff/m/{MODULE}/quiz"
    html = client.get(page).get_data(as_text=True)
    quiz = content.quiz("pool-check")
    other = next(q for q in quiz.questions if q.id not in _asked(html))
    data = {**quiz_form(quiz, html), f"q-{other.id}": "1", "csrf_token": csrf(html),
            "token": SUBMISSION.search(html).group(1), "version": quiz.version}
    response = client.post(page, data=data)
    assert response.status_code == 400 and "回答の内容を読み取れませんでした" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(QuizAttempt.id).where(QuizAttempt.user_id == user_id)) is None
        assert db.session.scalar(select(QuizSitting.id).where(QuizSitting.user_id == user_id)) is not None


def test_a_failed_attempt_names_the_missed_objectives_with_links_to_their_sections(client, login_as, content):
    _start(client, login_as, content)
    response, _ = Learner(client, content, "counter-staff").take_quiz(MODULE, correct=False)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "見直したい学習目標" in html
    quiz, module = content.quiz("pool-check"), content.module(MODULE)
    for objective in quiz.objectives:
        assert objective.label in html
        for section_id in objective.sections:
            section = next(s for s in module.sections if s.id == section_id)
            assert f'href="/learn/counter-staff/m/{MODULE}/s/{section_id}">{section.title}</a>' in html


def test_a_passed_attempt_names_no_objective(client, login_as, content):
    _start(client, login_as, content)
    response, _ = Learner(client, content, "counter-staff").take_quiz(MODULE)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "合格です" in html and "見直したい学習目標" not in html


def test_analysis_counts_each_question_by_id_where_it_was_asked(app, client, login_as, content):
    from training.teach.analysis import first_attempts, question_stats

    user_id, learner = _start(client, login_as, content)
    asked = _asked(client.get(f"/learn/counter-staff/m/{MODULE}/quiz").get_data(as_text=True))
    learner.take_quiz(MODULE)
    course = content.course("counter-staff")
    with app.app_context():
        stats = [s for s in question_stats(first_attempts([user_id], course), course, content)
                 if s.quiz.id == "pool-check"]
    assert {s.question.id: (s.answered, s.correct) for s in stats} == {
        q.id: ((1, 1) if q.id in asked else (0, 0)) for q in content.quiz("pool-check").questions}


def test_the_demo_draws_a_pool_as_the_page_does(app, create_user_factory, content):
    from training.demo import simulate_learning
    from training.learn.quiz_layout import Layout, fits
    from training.models import User

    user_id, _ = create_user_factory("trainee", audience="counter_staff")
    with app.test_request_context():
        simulate_learning(db.session.get(User, user_id), content.course("counter-staff"), content, modules=1,
                          scenarios=False, post=False)
        db.session.commit()
        attempt = db.session.scalar(select(QuizAttempt).where(QuizAttempt.user_id == user_id))
        layout = Layout.from_json(attempt.layout)
        assert fits(content.quiz("pool-check"), layout) and len(layout.questions) == 4
        assert (attempt.score, attempt.max_score, attempt.passed) == (4, 4, True)
