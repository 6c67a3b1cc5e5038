"""Question analysis, scenario moments and the survey change for a class."""
from pathlib import Path

from tests.support.classes import make_class
from tests.support.learner import Learner
from training.content import load_checked

CONTENT = load_checked(Path(__file__).resolve().parents[2])
COURSE = CONTENT.course("counter-staff")
FIRST = CONTENT.module(COURSE.modules[0])


def test_analysis_shows_missed_questions_and_slips(app, login_as, create_user_factory):
    from tests.conftest import AuthActions

    learners = []
    for correct in (True, False):
        uid, login_id = create_user_factory("trainee", audience="counter_staff")
        client = app.test_client()
        AuthActions(client).login(login_id)
        learner = Learner(client, CONTENT, COURSE.id)
        learner.pre_survey()
        learner.read_module(FIRST.id)
        learner.take_quiz(FIRST.id, correct=correct)
        learner.take_quiz(FIRST.id)  # a second try does not change the first-attempt figures
        learner.play_best(COURSE.scenarios[0])
        learners.append(uid)
    _iid, instructor = create_user_factory("instructor", audience=None)
    cohort_id = make_class(app, instructor, name="分析クラス", member_ids=learners)
    client = app.test_client()
    AuthActions(client).login(instructor)
    html = client.get(f"/teach/classes/{cohort_id}/analysis").get_data(as_text=True)
    quiz = CONTENT.quiz(FIRST.quiz)
    assert "50%" in html  # one of two answered each question correctly at first
    assert quiz.questions[0].prompt in html
    scenario = CONTENT.quiz(COURSE.scenarios[0])
    start = scenario.node(scenario.start)
    assert start.line in html and "100%（2人）" in html
    assert "事前 2人" in html
