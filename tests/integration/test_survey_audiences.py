"""Surveys by audience (issue 15): each course's audience answers its own items, the answers are
stored by item id, and the reports compare each item only with itself, on the same people before
and after (paired), with n."""
import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import AuthActions
from tests.support.classes import make_class
from tests.support.learner import Learner, csrf, survey_form
from training.content import load_checked
from training.demo import simulate_learning
from training.extensions import db
from training.models import Assignment, SurveyResponse, User
from training.records import dashboard
from training.teach import analysis

CONTENT = load_checked(Path(__file__).resolve().parents[2])
STUDENTS = CONTENT.survey.for_audience("high_school")
CLERKS = CONTENT.survey.for_audience("counter_staff")
ADULT_ONLY = ("eff-windows", "kn-seikatsu-support")


def _ids(survey) -> set[str]:
    return {i.id for i in survey.efficacy + survey.knowledge}


def _fields(html: str) -> set[str]:
    """The item ids the page asks (name="eff-…" / name="kn-…" radio groups)."""
    return {m.group(2) for m in re.finditer(r'name="(eff|kn)-([a-z0-9-]+)"', html)}


def _stored(app, user_id: int, phase: str) -> dict:
    with app.app_context():
        return db.session.scalar(select(SurveyResponse.answers).where(SurveyResponse.user_id == user_id,
                                                                      SurveyResponse.phase == phase))


def _finish_learning(app, user_id: int, course_id: str) -> None:
    """Everything of the course but the post-survey, as the pages would have stored it."""
    with app.test_request_context():
        simulate_learning(db.session.get(User, user_id), CONTENT.course(course_id), CONTENT, post=False)
        db.session.commit()


@pytest.mark.parametrize("audience, course_id, own, other", [
    ("high_school", "high-school", STUDENTS, CLERKS),
    ("counter_staff", "counter-staff", CLERKS, STUDENTS),
])
def test_pre_and_post_survey_ask_only_the_course_audience_s_items(app, client, login_as, create_user_factory,
                                                                   audience, course_id, own, other):
    user_id, _ = login_as("trainee", audience=audience)
    html = client.get(f"/learn/{course_id}/survey/pre").get_data(as_text=True)
    assert _fields(html) == _ids(own)
    for item in other.efficacy + other.knowledge:
        assert item.text not in html
    # A form that also answers the other audience's items stores only the course's own, by id.
    form = {**survey_form(CONTENT, post=False), "csrf_token": csrf(html)}
    assert client.post(f"/learn/{course_id}/survey/pre", data=form).status_code == 302
    pre = _stored(app, user_id, "pre")
    assert set(pre["efficacy"]) == {i.id for i in own.efficacy}
    assert set(pre["knowledge"]) == {i.id for i in own.knowledge}

    # Another trainee who has done all but the post-survey (the demo's answers are the course's own too).
    finisher, login_id = create_user_factory("trainee", audience=audience)
    _finish_learning(app, finisher, course_id)
    assert set(_stored(app, finisher, "pre")["efficacy"]) == {i.id for i in own.efficacy}
    client = app.test_client()
    AuthActions(client).login(login_id)
    html = client.get(f"/learn/{course_id}/survey/post").get_data(as_text=True)
    assert _fields(html) == _ids(own) and 'name="distress"' in html
    for item in other.efficacy + other.knowledge:
        assert item.text not in html
    response = Learner(client, CONTENT, course_id).post(f"/learn/{course_id}/survey/post",
                                                        survey_form(CONTENT, post=True, audience=audience))
    assert response.status_code == 200
    post = _stored(app, finisher, "post")
    assert set(post["efficacy"]) | set(post["knowledge"]) == _ids(own)


def test_a_student_is_never_asked_the_adult_windows(client, login_as):
    login_as("trainee", audience="high_school")
    html = client.get("/learn/high-school/survey/pre").get_data(as_text=True)
    assert "生活サポートセンター" not in html and "区の相談窓口" not in html
    assert "信頼できる大人" in html and "24時間子供SOSダイヤル" in html and "秘密" in html
    assert not set(ADULT_ONLY) & _fields(html)


def test_a_student_s_form_is_incomplete_without_the_student_items(app, client, login_as):
    """Answering the adult items is no answer to the student's own: nothing is stored."""
    user_id, _ = login_as("trainee", audience="high_school")
    html = client.get("/learn/high-school/survey/pre").get_data(as_text=True)
    response = client.post("/learn/high-school/survey/pre",
                           data={**survey_form(CONTENT, post=False, audience="counter_staff"), "csrf_token": csrf(html)})
    missing = len(STUDENTS.efficacy) + len(STUDENTS.knowledge)
    assert response.status_code == 200 and f"未回答の質問があります（{missing}問）" in response.get_data(as_text=True)
    assert _stored(app, user_id, "pre") is None


def _answer(app, user_id: int, course_id: str, phase: str, efficacy: dict, knowledge: dict | None = None,
            when: dt.datetime | None = None) -> None:
    with app.app_context():
        db.session.add(SurveyResponse(user_id=user_id, course_id=course_id, phase=phase,
                                      answers={"efficacy": efficacy, "knowledge": knowledge or {}},
                                      content_version="test", **({"submitted_at": when} if when else {})))
        db.session.commit()


@pytest.fixture
def mixed_class(app, create_user_factory):
    """A class running the high-school and the teachers' course: students and teachers, with
    answers that must never be compared across items, courses or people."""
    a, _ = create_user_factory("trainee", audience="high_school")
    b, _ = create_user_factory("trainee", audience="high_school")
    c, _ = create_user_factory("trainee", audience="high_school")
    t, _ = create_user_factory("trainee", audience="teachers")
    # a: before and after, on the student items.
    _answer(app, a, "high-school", "pre", {"eff-hs-trusted-adult": 2, "eff-hs-sos-dial": 1}, {"kn-hs-secret": "true"})
    _answer(app, a, "high-school", "post", {"eff-hs-trusted-adult": 4, "eff-hs-sos-dial": 5}, {"kn-hs-secret": "false"})
    # b: before only; never paired with anyone's post-survey.
    _answer(app, b, "high-school", "pre", {"eff-hs-trusted-adult": 1})
    # c: a pre-survey on the adult items (an older content version), the post on the student items:
    # no item is answered twice, so c counts for none.
    _answer(app, c, "high-school", "pre", {"eff-notice": 1, "eff-windows": 1}, {"kn-seikatsu-support": "unknown"})
    _answer(app, c, "high-school", "post", {"eff-hs-trusted-adult": 5, "eff-hs-notice": 5})
    # t: the teachers' course, on the adult items.
    _answer(app, t, "teachers", "pre", {"eff-notice": 3, "eff-windows": 2}, {"kn-seikatsu-support": "unknown"})
    _answer(app, t, "teachers", "post", {"eff-notice": 5, "eff-windows": 4}, {"kn-seikatsu-support": "true"})
    _iid, instructor = create_user_factory("instructor", audience=None)
    cohort_id = make_class(app, instructor, name="合同クラス", audience="high_school", member_ids=[a, b, c, t])
    with app.app_context():
        db.session.add_all([Assignment(cohort_id=cohort_id, course_id=course) for course in ("high-school", "teachers")])
        db.session.commit()
    return {"members": [a, b, c, t], "cohort": cohort_id, "instructor": instructor}


def test_class_report_compares_each_item_only_with_itself(app, mixed_class):
    with app.app_context():
        students, counts = analysis.survey_stats(mixed_class["members"], CONTENT.course("high-school"), CONTENT)
        teachers, teacher_counts = analysis.survey_stats(mixed_class["members"], CONTENT.course("teachers"), CONTENT)
    assert counts == {"pre": 3, "post": 2, "paired": 2}
    assert [s.item.id for s in students] == [i.id for i in STUDENTS.efficacy + STUDENTS.knowledge]
    by_id = {s.item.id: s for s in students}
    assert (by_id["eff-hs-trusted-adult"].n, by_id["eff-hs-trusted-adult"].pre,
            by_id["eff-hs-trusted-adult"].post, by_id["eff-hs-trusted-adult"].change) == (1, 2.0, 4.0, 2.0)
    assert (by_id["eff-hs-sos-dial"].n, by_id["eff-hs-sos-dial"].change) == (1, 4.0)
    assert (by_id["kn-hs-secret"].n, by_id["kn-hs-secret"].pre, by_id["kn-hs-secret"].post) == (1, 0.0, 100.0)
    assert (by_id["eff-hs-notice"].n, by_id["eff-hs-notice"].pre, by_id["eff-hs-notice"].change) == (0, None, None)
    assert teacher_counts == {"pre": 1, "post": 1, "paired": 1}
    by_id = {s.item.id: s for s in teachers}
    assert not set(by_id) & _ids(STUDENTS)
    assert (by_id["eff-notice"].n, by_id["eff-notice"].pre, by_id["eff-notice"].post) == (1, 3.0, 5.0)
    assert (by_id["kn-seikatsu-support"].n, by_id["kn-seikatsu-support"].change) == (1, 100.0)


def test_class_analysis_page_shows_the_course_s_own_items_with_n(app, mixed_class):
    client = app.test_client()
    AuthActions(client).login(mixed_class["instructor"])
    base = f"/teach/classes/{mixed_class['cohort']}/analysis"
    html = client.get(f"{base}?course=high-school").get_data(as_text=True)
    assert "事前 3人・事後 2人・前後の両方 2人" in html
    assert "生活サポートセンター" not in html and STUDENTS.efficacy[0].text in html
    assert "<td>1人</td>" in html and "+2.0" in html
    html = client.get(f"{base}?course=teachers").get_data(as_text=True)
    assert "生活サポートセンター" in html and "24時間子供SOSダイヤル" not in html


def test_dashboard_reports_each_course_on_its_own_paired_items(app, client, login_as, mixed_class):
    with app.app_context():
        board = dashboard.build(2026, 350, CONTENT)
    groups = {g.course.id: g for g in board.surveys}
    assert set(groups) == {"high-school", "teachers"}
    assert groups["high-school"].people == 2 and groups["teachers"].people == 1
    assert [s.item.id for s in groups["high-school"].items] == [i.id for i in STUDENTS.efficacy + STUDENTS.knowledge]
    students = {s.item.id: s for s in groups["high-school"].items}
    assert (students["eff-hs-trusted-adult"].n, students["eff-hs-trusted-adult"].change) == (1, 2.0)
    teachers = {s.item.id: s for s in groups["teachers"].items}
    assert not set(teachers) & _ids(STUDENTS) and teachers["eff-notice"].change == 2.0
    login_as("personnel", audience=None)
    html = client.get("/records/?year=2026").get_data(as_text=True)
    assert "高校生向けゲートキーパー講座（同じ方の受講前と受講後 n＝2人）" in html and "研修前後アンケートの変化（講座別）" in html


def test_dashboard_pairs_by_the_year_of_the_post_survey(app, create_user_factory):
    """A pre-survey of the previous year pairs with a post-survey of this one; a post-survey of
    another year is that year's."""
    uid, _ = create_user_factory("trainee", audience="teachers")
    _answer(app, uid, "teachers", "pre", {"eff-notice": 2}, when=dt.datetime(2026, 3, 20, tzinfo=dt.timezone.utc))
    _answer(app, uid, "teachers", "post", {"eff-notice": 3}, when=dt.datetime(2026, 4, 10, tzinfo=dt.timezone.utc))
    with app.app_context():
        this_year = dashboard.build(2026, 350, CONTENT)
        last_year = dashboard.build(2025, 350, CONTENT)
    assert [(g.course.id, g.people) for g in this_year.surveys] == [("teachers", 1)]
    assert last_year.surveys == []
