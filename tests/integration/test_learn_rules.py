"""Bad input, double submits, retries, completion records and query counts."""
import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from tests.support.learner import SUBMISSION, Learner, QuizPage, csrf, quiz_form, scenario_choice_form
from training.content import load_checked
from training.extensions import db
from training.models import (Assignment, Cohort, CohortMember, CourseCompletion, ModuleCompletion, QuizAttempt,
                             ScenarioRun, SectionView, SurveyResponse)

CONTENT = load_checked(Path(__file__).resolve().parents[2])
COURSE = CONTENT.course("counter-staff")
FIRST = CONTENT.module(COURSE.modules[0])


def _count(app, model, **where):
    with app.app_context():
        stmt = select(func.count()).select_from(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return db.session.scalar(stmt)


def _started(client, login_as, audience="counter_staff"):
    user_id, _ = login_as("trainee", audience=audience)
    learner = Learner(client, CONTENT, COURSE.id)
    learner.pre_survey()
    return user_id, learner


def test_content_opens_with_note_and_pre_survey(client, login_as):
    login_as("trainee")
    response = client.get(f"/learn/{COURSE.id}/m/{FIRST.id}/s/{FIRST.sections[0].id}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/survey/pre")
    html = client.get(f"/learn/{COURSE.id}/survey/pre").get_data(as_text=True)
    assert "いつでも休んでかまいません" in html and "いますぐ相談したい方へ" in html


def test_survey_sent_with_gaps_lists_them_with_links_and_stores_nothing(app, client, login_as):
    user_id, _ = login_as("trainee")
    survey = CONTENT.survey.for_audience(COURSE.audience)
    page = f"/learn/{COURSE.id}/survey/pre"
    html = client.get(page).get_data(as_text=True)
    first = survey.efficacy[0]
    response = client.post(page, data={"csrf_token": csrf(html), f"eff-{first.id}": "3"})
    body = response.get_data(as_text=True)
    missing = len(survey.efficacy) - 1 + len(survey.knowledge)
    assert response.status_code == 200 and f"未回答の質問があります（{missing}問）" in body
    second = survey.efficacy[1]
    assert f'<a href="#eff-{second.id}">「{second.text}」：' in body and f'id="eff-{second.id}"' in body
    assert f'href="#eff-{first.id}"' not in body and f"ほか{missing - 5}問" in body
    assert _count(app, SurveyResponse, user_id=user_id) == 0


def test_other_audience_course_is_refused_and_nothing_stored(app, client, login_as):
    user_id, _ = login_as("trainee", audience="residents")
    response = client.get(f"/learn/{COURSE.id}")
    assert response.status_code == 403
    assert "受講の対象になっていません" in response.get_data(as_text=True)
    page = client.get("/learn/residents/survey/pre").get_data(as_text=True)
    client.post(f"/learn/{COURSE.id}/survey/pre", data={"csrf_token": csrf(page)})
    assert _count(app, SurveyResponse, user_id=user_id) == 0


def test_class_assignment_opens_another_course(app, client, login_as):
    user_id, _ = login_as("trainee", audience="residents")
    with app.app_context():
        cohort = Cohort(name="窓口研修", audience="counter_staff", fiscal_year=2026, due_on=dt.date(2027, 1, 31))
        db.session.add(cohort)
        db.session.flush()
        db.session.add_all([CohortMember(cohort_id=cohort.id, user_id=user_id),
                            Assignment(cohort_id=cohort.id, course_id=COURSE.id)])
        db.session.commit()
    assert client.get(f"/learn/{COURSE.id}").status_code == 200
    home = client.get("/").get_data(as_text=True)
    assert COURSE.title in home and "期限 2027年1月31日" in home and "窓口研修" in home


def test_unknown_section_module_and_course_are_404(client, login_as):
    _started(client, login_as)
    assert client.get(f"/learn/{COURSE.id}/m/{FIRST.id}/s/no-such-section").status_code == 404
    assert client.get(f"/learn/{COURSE.id}/m/hs-notice/s/x").status_code == 404  # another course's module
    assert client.get("/learn/no-such-course").status_code == 404


def test_section_view_recorded_once_when_moving_on(app, client, login_as):
    user_id, learner = _started(client, login_as)
    page = f"/learn/{COURSE.id}/m/{FIRST.id}/s/{FIRST.sections[0].id}"
    client.get(page)
    assert _count(app, SectionView, user_id=user_id) == 0  # reading is not yet "viewed"
    learner.post(f"{page}/next", page=page)
    learner.post(f"{page}/next", page=page)
    assert _count(app, SectionView, user_id=user_id) == 1


def test_double_submit_records_one_attempt(app, client, login_as):
    user_id, learner = _started(client, login_as)
    first, data = learner.take_quiz(FIRST.id)
    again = client.post(f"/learn/{COURSE.id}/m/{FIRST.id}/quiz", data=data)
    assert first.headers["Location"] == again.headers["Location"]
    assert _count(app, QuizAttempt, user_id=user_id) == 1


def test_wrong_answers_fail_with_explanations_and_can_retry(app, client, login_as):
    user_id, learner = _started(client, login_as)
    response, _ = learner.take_quiz(FIRST.id, correct=False)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "合格まであと少し" in html and "解説" in html and "不正解" in html
    quiz = CONTENT.quiz(FIRST.quiz)
    with app.app_context():  # a pool: the questions this attempt asked, as stored with it
        layout = db.session.scalar(select(QuizAttempt.layout).where(QuizAttempt.user_id == user_id))
    asked = [quiz.question(q["id"]) for q in layout["questions"]]
    assert len(asked) == quiz.asks and all(q.explanation in html for q in asked)
    response, _ = learner.take_quiz(FIRST.id)
    assert "合格です" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert _count(app, QuizAttempt, user_id=user_id) == 2


def test_tampered_choice_is_refused_and_nothing_stored(app, client, login_as):
    user_id, _ = _started(client, login_as)
    page = f"/learn/{COURSE.id}/m/{FIRST.id}/quiz"
    html = client.get(page).get_data(as_text=True)
    quiz = CONTENT.quiz(FIRST.quiz)
    data = quiz_form(quiz, html)
    single = next(q for q in quiz.questions if q.kind == "single")
    data[f"q-{single.id}"] = "not-a-choice"
    response = client.post(page, data={**data, "csrf_token": csrf(html), "token": SUBMISSION.search(html).group(1),
                                       "version": quiz.version})
    assert response.status_code == 400
    assert "回答の内容を読み取れませんでした" in response.get_data(as_text=True)
    assert _count(app, QuizAttempt, user_id=user_id) == 0


def test_unanswered_questions_keep_the_answers(app, client, login_as):
    user_id, _ = _started(client, login_as)
    page = f"/learn/{COURSE.id}/m/{FIRST.id}/quiz"
    html = client.get(page).get_data(as_text=True)
    quiz = CONTENT.quiz(FIRST.quiz)
    data = quiz_form(quiz, html)
    # A single-choice question among those drawn (every draw asks one: the audience's own are single).
    asked = QuizPage(html).questions
    single = next(q for q in map(quiz.question, asked) if q.kind == "single")
    other = [k for k in data if k != f"q-{single.id}"]  # a single choice is one field (q1 is no prefix of q12)
    partial = {k: data[k] for k in other}
    response = client.post(page, data={**partial, "csrf_token": csrf(html), "token": SUBMISSION.search(html).group(1),
                                       "version": quiz.version})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "未回答の問題があります（1問）" in body and "選択肢を1つ選んでください" in body
    # The summary at the top links to the question, which carries that id (numbered as asked).
    number = asked.index(single.id) + 1
    assert f'<a href="#q-{single.id}">問{number}：選択肢を1つ選んでください。</a>' in body
    assert f'id="q-{single.id}"' in body
    assert _count(app, QuizAttempt, user_id=user_id) == 0


def test_an_ordering_sent_back_with_a_repeated_rank_keeps_the_ranks_chosen(app, client, login_as):
    """No lost input: the selects show what the trainee chose, so only the clash needs fixing."""
    import re

    user_id, learner = _started(client, login_as)
    page = f"/learn/{COURSE.id}/m/{FIRST.id}/quiz"
    html = client.get(page).get_data(as_text=True)
    quiz = CONTENT.quiz(FIRST.quiz)
    # The draw may leave the quiz's ordering question out; a retry asks the questions met least
    # often, so it comes within a few attempts (at most one per question of the pool).
    retries = 0
    while not any(quiz.question(q).kind == "ordering" for q in QuizPage(html).questions):
        assert retries < len(quiz.for_audience(COURSE.audience).questions), "no ordering question drawn"
        learner.take_quiz(FIRST.id, correct=False)
        retries += 1
        html = client.get(page).get_data(as_text=True)
    data = quiz_form(quiz, html)
    ordering = next(q for q in map(quiz.question, QuizPage(html).questions) if q.kind == "ordering")
    fields = sorted(k for k in data if k.startswith(f"q-{ordering.id}-"))
    data[fields[1]] = data[fields[0]]   # two items given the same rank
    response = client.post(page, data={**data, "csrf_token": csrf(html), "token": SUBMISSION.search(html).group(1),
                                       "version": quiz.version})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "同じ順番が2つ以上あります" in body
    for name in fields:
        select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', body, re.S).group(1)
        assert f'<option value="{data[name]}" selected>' in select, name
    assert _count(app, QuizAttempt, user_id=user_id) == retries  # the sent-back form stored nothing


def test_quiz_changed_since_shown_asks_to_retry(app, client, login_as):
    user_id, _ = _started(client, login_as)
    page = f"/learn/{COURSE.id}/m/{FIRST.id}/quiz"
    html = client.get(page).get_data(as_text=True)
    quiz = CONTENT.quiz(FIRST.quiz)
    response = client.post(page, data={**quiz_form(quiz, html), "csrf_token": csrf(html),
                                       "token": SUBMISSION.search(html).group(1), "version": "0ld-version"})
    assert response.status_code == 302
    assert "内容が更新されました" in client.get(page).get_data(as_text=True)
    assert _count(app, QuizAttempt, user_id=user_id) == 0


def test_attempt_limit(app, client, login_as):
    from dataclasses import replace

    limited = replace(COURSE, max_attempts=1)
    content = app.extensions["content"]
    app.extensions["content"] = replace(content, courses=tuple(limited if c.id == COURSE.id else c for c in content.courses))
    user_id, learner = _started(client, login_as)
    learner.take_quiz(FIRST.id, correct=False)
    page = client.get(f"/learn/{COURSE.id}/m/{FIRST.id}/quiz").get_data(as_text=True)
    assert "解答回数の上限に達しました" in page
    response, _ = learner.take_quiz(FIRST.id) if 'name="token"' in page else (None, None)
    assert response is None
    assert _count(app, QuizAttempt, user_id=user_id) == 1


def test_another_trainees_attempt_is_404(app, client, login_as, create_user_factory):
    from tests.conftest import AuthActions

    _owner_id, learner = _started(client, login_as)
    response, _ = learner.take_quiz(FIRST.id)
    url = response.headers["Location"]
    other = app.test_client()
    _uid, login_id = create_user_factory("trainee", audience="counter_staff")
    AuthActions(other).login(login_id)
    assert other.get(url).status_code == 404


def test_module_completion_is_recorded_at_once_and_never_rewritten(app, client, login_as):
    user_id, learner = _started(client, login_as)
    learner.read_module(FIRST.id)
    assert _count(app, ModuleCompletion, user_id=user_id) == 0
    learner.take_quiz(FIRST.id)
    with app.app_context():
        row = db.session.scalar(select(ModuleCompletion).where(ModuleCompletion.user_id == user_id))
        assert row.module_id == FIRST.id and row.score == 100
        assert row.content_version == f"{FIRST.version}:{CONTENT.quiz(FIRST.quiz).version}"
        first_at = row.completed_at
    learner.take_quiz(FIRST.id, correct=False)
    with app.app_context():
        row = db.session.scalar(select(ModuleCompletion).where(ModuleCompletion.user_id == user_id))
        assert row.completed_at == first_at and row.score == 100


def _state_after(scenario, choice) -> dict:
    """The values a step records when its scenario remembers state (nothing otherwise)."""
    return {"state": scenario.after(scenario.start_values(), choice)} if scenario.state else {}


def test_scenario_retry_and_stale_submit(app, client, login_as):
    user_id, learner = _started(client, login_as)
    scenario = CONTENT.quiz(COURSE.scenarios[0])
    page = f"/learn/{COURSE.id}/scenarios/{scenario.id}"
    learner.post(f"{page}/start", page=page)
    node = scenario.node(scenario.start)
    slip = min(node.choices, key=lambda c: c.score)
    html = client.get(page).get_data(as_text=True)
    form = scenario_choice_form(html, slip)
    client.post(f"{page}/choose", data=form)
    client.post(f"{page}/choose", data=form)  # double submit: ignored
    html = client.get(page).get_data(as_text=True)
    assert slip.feedback in html and "この場面をやり直す" in html
    client.post(f"{page}/retry", data={"csrf_token": csrf(html), "step": "1"})
    html = client.get(page).get_data(as_text=True)
    assert node.line in html and "あなたなら、どうしますか" in html
    with app.app_context():
        run = db.session.scalar(select(ScenarioRun).where(ScenarioRun.user_id == user_id))
        assert run.steps == [] and run.history == [{"node": node.id, "choice": slip.id, "score": slip.score,
                                                    "retried": True, **_state_after(scenario, slip)}]
    tampered = client.post(f"{page}/choose", data={**form, "choice": "zzz"})
    assert tampered.status_code == 400


def test_scenario_ending_recorded_once(app, client, login_as):
    user_id, learner = _started(client, login_as)
    scenario_id = COURSE.scenarios[0]
    response = learner.play_best(scenario_id)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "よかった場面" in html and "つながった先" in html
    assert _count(app, QuizAttempt, user_id=user_id, kind="scenario") == 1


def test_post_survey_waits_for_the_learning(client, login_as):
    _started(client, login_as)
    response = client.get(f"/learn/{COURSE.id}/survey/post")
    assert response.status_code == 302


def test_distress_answer_shows_help(app, client, login_as):
    from tests.support.learner import survey_form

    user_id, learner = _started(client, login_as)
    for module_id in COURSE.modules:
        learner.read_module(module_id)
        learner.take_quiz(module_id)
    for scenario_id in COURSE.scenarios:
        learner.play_best(scenario_id)
    worried = next(o for o in CONTENT.survey.distress_options if o.show_help)
    response = learner.post(f"/learn/{COURSE.id}/survey/post", survey_form(CONTENT, post=True, distress=worried.id))
    html = response.get_data(as_text=True)
    assert "一人で抱えこまないでください" in html
    assert all(c.name in html for c in CONTENT.contacts.contacts)
    assert _count(app, CourseCompletion, user_id=user_id) == 1
    with app.app_context():
        post = db.session.scalar(select(SurveyResponse).where(SurveyResponse.phase == "post"))
        assert post.answers["distress"] == worried.id


def test_lesson_page_and_quiz_submission_use_a_fixed_number_of_queries(app, client, login_as, count_queries):
    _user_id, learner = _started(client, login_as)
    counts = []
    for module_id in (COURSE.modules[0], COURSE.modules[-1]):
        module = CONTENT.module(module_id)
        learner.read_module(module_id)
        with count_queries() as counter:
            assert client.get(f"/learn/{COURSE.id}/m/{module_id}/s/{module.sections[0].id}").status_code == 200
        counts.append(counter["n"])
    print("lesson page queries:", counts[0])
    assert counts[0] == counts[1] and counts[0] <= 10
    submits = []
    for module_id in (COURSE.modules[0], COURSE.modules[-1]):
        page = f"/learn/{COURSE.id}/m/{module_id}/quiz"
        html = client.get(page).get_data(as_text=True)
        quiz = CONTENT.quiz(CONTENT.module(module_id).quiz)
        data = {**quiz_form(quiz, html), "csrf_token": csrf(html), "token": SUBMISSION.search(html).group(1),
                "version": quiz.version}
        with count_queries() as counter:
            assert client.post(page, data=data).status_code == 302
        submits.append(counter["n"])
    assert submits[0] == submits[1] and submits[0] <= 25
