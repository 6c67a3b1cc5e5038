"""Shuffled choices per attempt, stored with it (issue 13): the page names no choice id, a reload
and the result page show the stored order, a retry a new one, bad input stores nothing, the
open sitting counts as no attempt, and the page and the submission keep fixed query counts."""
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.support.learner import SUBMISSION, Learner, QuizPage, csrf, quiz_form
from training.content import load_checked
from training.extensions import db
from training.models import QuizAttempt, QuizSitting

CONTENT = load_checked(Path(__file__).resolve().parents[2])
COURSE = CONTENT.course("counter-staff")
FIRST = CONTENT.module(COURSE.modules[0])
QUIZ = CONTENT.quiz(FIRST.quiz)
PAGE = f"/learn/{COURSE.id}/m/{FIRST.id}/quiz"


def _count(app, model, **where) -> int:
    with app.app_context():
        stmt = select(func.count()).select_from(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return db.session.scalar(stmt)


def _sittings(app, user_id):
    with app.app_context():
        return [(s.token, s.layout) for s in db.session.scalars(
            select(QuizSitting).where(QuizSitting.user_id == user_id).order_by(QuizSitting.id))]


def _started(client, login_as):
    user_id, _ = login_as("trainee", audience="counter_staff")
    learner = Learner(client, CONTENT, COURSE.id)
    learner.pre_survey()
    return user_id, learner


def _orders(layout: dict) -> dict:
    return {q["id"]: (tuple(q.get("choices", ())), tuple(q.get("items", ())), tuple(q.get("options", ())))
            for q in layout["questions"]}


def test_the_quiz_page_says_it_writes_on_get(app):
    """Its first showing stores the sitting: on SQLite its transaction must begin IMMEDIATE."""
    assert getattr(app.view_functions["learn.quiz"], "writes_on_get", False)


def test_the_page_names_no_choice_id_and_a_reload_shows_the_same_order(app, client, login_as):
    user_id, _ = _started(client, login_as)
    first = client.get(PAGE).get_data(as_text=True)
    again = client.get(PAGE).get_data(as_text=True)
    assert SUBMISSION.search(first).group(1) == SUBMISSION.search(again).group(1)
    assert QuizPage(first).inputs == QuizPage(again).inputs and QuizPage(first).selects == QuizPage(again).selects
    page = QuizPage(first)
    for name, value, _label in page.inputs:
        assert value.isdigit(), (name, value)
    for select_ in page.selects.values():
        assert select_["name"].rsplit("-", 1)[1].isdigit()
        assert all(value == "" or value.isdigit() for value, _text in select_["options"])
    for question in QUIZ.questions:
        for part in (*question.choices, *question.items, *question.options):
            assert f'value="{part.id}"' not in first and f'-{part.id}"' not in first, part.id
    assert len(_sittings(app, user_id)) == 1 and _count(app, QuizAttempt, user_id=user_id) == 0


def test_the_stored_order_is_the_result_pages_order_with_choice_and_answer_told_apart(app, client, login_as):
    user_id, learner = _started(client, login_as)
    response, _ = learner.take_quiz(FIRST.id, correct=False)
    [(token, layout)] = _sittings(app, user_id)
    with app.app_context():
        attempt = db.session.scalar(select(QuizAttempt).where(QuizAttempt.user_id == user_id))
        assert attempt.layout == layout and attempt.submission_token == token
        assert all(isinstance(v, (str, list, dict)) for v in attempt.answers.values())
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    # A single-choice question among those drawn (every draw asks one: the audience's own are single).
    single = next(q for q in (QUIZ.question(e["id"]) for e in layout["questions"]) if q.kind == "single")
    shown = next(q["choices"] for q in layout["questions"] if q["id"] == single.id)
    texts = {c.id: c.text for c in single.choices}
    start = html.index(single.prompt)
    positions = [html.index(texts[cid], start) for cid in shown]
    assert positions == sorted(positions), "the result page shows the options in the stored order"
    block = html[start:html.index("解説：", start)]
    assert "あなたの回答（誤り）" in block and "正解</span>" in block
    assert all(c.why in html for c in single.choices if c.why)
    assert single.explanation in html


def test_a_new_attempt_shows_every_question_in_a_new_order(app, client, login_as):
    """A retry draws again from the pool: mostly questions not met yet, and every question
    asked in both attempts in a new order."""
    user_id, learner = _started(client, login_as)
    learner.take_quiz(FIRST.id, correct=False)
    client.get(PAGE)
    first, second = (layout for _token, layout in _sittings(app, user_id))
    before, after = _orders(first), _orders(second)
    pool = QUIZ.for_audience(COURSE.audience)
    held = {q.id for q in pool.questions}
    assert len(before) == len(after) == pool.asks and set(before) | set(after) <= held
    both = before.keys() & after.keys()
    # Two draws outnumbering the audience's pool share questions: the order check is never empty.
    assert len(both) >= 2 * pool.asks - len(held) > 0
    assert all(before[q] != after[q] for q in both)
    # The pool rules: the retry prefers questions not yet met (most it asks are new), still
    # covers every objective and asks one of the audience's own questions.
    assert len(after.keys() - before.keys()) > pool.asks / 2
    assert {QUIZ.question(q).objective for q in after} == {o.id for o in QUIZ.objectives}
    assert any(QUIZ.question(q).audiences for q in after)


def test_an_open_sitting_is_no_attempt(app, client, login_as):
    limited = replace(COURSE, max_attempts=1)
    content = app.extensions["content"]
    app.extensions["content"] = replace(content, courses=tuple(limited if c.id == COURSE.id else c
                                                               for c in content.courses))
    user_id, learner = _started(client, login_as)
    for _ in range(3):
        assert "これまで0回" in client.get(PAGE).get_data(as_text=True)
    assert "未着手" in client.get(f"/learn/{COURSE.id}/progress").get_data(as_text=True)
    learner.take_quiz(FIRST.id, correct=False)
    assert _count(app, QuizAttempt, user_id=user_id) == 1
    assert "解答回数の上限に達しました" in client.get(PAGE).get_data(as_text=True)
    assert len(_sittings(app, user_id)) == 1  # a page past the limit draws nothing


@pytest.mark.parametrize("tamper", ["out-of-range", "choice-id", "not-drawn", "item-not-shown", "not-digits"])
def test_a_tampered_answer_is_refused_with_a_message_and_nothing_stored(app, client, login_as, tamper):
    user_id, _ = _started(client, login_as)
    html = client.get(PAGE).get_data(as_text=True)
    data = quiz_form(QUIZ, html)
    single = next(q for q in QUIZ.questions if q.kind == "single")
    ordering = next(q for q in QUIZ.questions if q.kind in ("ordering", "matching"))
    data.update({
        "out-of-range": {f"q-{single.id}": str(len(single.choices) + 1)},
        "choice-id": {f"q-{single.id}": single.answer},
        "not-drawn": {"q-not-in-this-quiz": "1"},
        "item-not-shown": {f"q-{ordering.id}-{len(ordering.choices or ordering.items) + 1}": "1"},
        "not-digits": {f"q-{single.id}": "１"},
    }[tamper])
    response = client.post(PAGE, data={**data, "csrf_token": csrf(html), "token": SUBMISSION.search(html).group(1),
                                       "version": QUIZ.version})
    assert response.status_code == 400
    assert "回答の内容を読み取れませんでした" in response.get_data(as_text=True)
    assert _count(app, QuizAttempt, user_id=user_id) == 0
    assert SUBMISSION.search(client.get(PAGE).get_data(as_text=True)).group(1) == SUBMISSION.search(html).group(1)


def test_content_changed_between_showing_and_submitting_asks_for_a_retry(app, client, login_as):
    user_id, _ = _started(client, login_as)
    html = client.get(PAGE).get_data(as_text=True)
    data = {**quiz_form(QUIZ, html), "csrf_token": csrf(html), "token": SUBMISSION.search(html).group(1),
            "version": QUIZ.version}
    content = app.extensions["content"]
    changed = replace(QUIZ, version="a-new-version")
    app.extensions["content"] = replace(content, quizzes=tuple(changed if q.id == QUIZ.id else q
                                                               for q in content.quizzes))
    response = client.post(PAGE, data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith(PAGE)
    redrawn = client.get(PAGE).get_data(as_text=True)
    assert "内容が更新されました" in redrawn
    assert SUBMISSION.search(redrawn).group(1) != data["token"]  # drawn again, under a new token
    assert client.post(PAGE, data=data).status_code == 302  # the old page stays refused
    assert "この解答用紙は古くなっています" in client.get(PAGE).get_data(as_text=True)
    assert _count(app, QuizAttempt, user_id=user_id) == 0 and len(_sittings(app, user_id)) == 1


def test_another_trainees_sitting_token_is_refused(app, client, login_as, create_user_factory):
    from tests.conftest import AuthActions

    _owner, _ = _started(client, login_as)
    token = SUBMISSION.search(client.get(PAGE).get_data(as_text=True)).group(1)
    other = app.test_client()
    other_id, login_id = create_user_factory("trainee", audience="counter_staff")
    AuthActions(other).login(login_id)
    Learner(other, CONTENT, COURSE.id).pre_survey()
    html = other.get(PAGE).get_data(as_text=True)
    response = other.post(PAGE, data={**quiz_form(QUIZ, html), "csrf_token": csrf(html), "token": token,
                                      "version": QUIZ.version})
    assert response.status_code == 400
    assert _count(app, QuizAttempt) == 0


def test_quiz_page_and_submission_use_a_fixed_number_of_queries(app, client, login_as, count_queries):
    """Drawing and shuffling add no query beyond the sitting's own row: the first showing
    reads the sitting history and inserts the sitting, a reload reads only, a submission
    reads the sitting with its attempt in one query (as the token look-up did before)."""
    _user_id, _ = _started(client, login_as)
    counts = []
    for module_id in (COURSE.modules[0], COURSE.modules[-1]):
        page = f"/learn/{COURSE.id}/m/{module_id}/quiz"
        with count_queries() as shown:
            html = client.get(page).get_data(as_text=True)
        with count_queries() as reloaded:
            html = client.get(page).get_data(as_text=True)
        quiz = CONTENT.quiz(CONTENT.module(module_id).quiz)
        data = {**quiz_form(quiz, html), "csrf_token": csrf(html), "token": SUBMISSION.search(html).group(1),
                "version": quiz.version}
        with count_queries() as submitted:
            response = client.post(page, data=data)
        assert response.status_code == 302
        with count_queries() as result:
            assert client.get(response.headers["Location"]).status_code == 200
        counts.append((shown["n"], reloaded["n"], submitted["n"], result["n"]))
    print("quiz page (first, reload), submission, result queries:", counts[0])
    assert counts[0] == counts[1]
    first, reload_, submit, result_ = counts[0]
    assert first == reload_ + 1 and submit <= 25 and result_ <= 5
