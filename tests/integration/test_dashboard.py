"""The fiscal-year dashboard and person history."""
import datetime as dt
from pathlib import Path

from sqlalchemy import select

from training.content import load_checked
from training.dates import JST
from training.demo import simulate_learning
from training.extensions import db
from training.models import CourseCompletion, User

CONTENT = load_checked(Path(__file__).resolve().parents[2])


def _complete(app, create_user_factory, when, course_id, **fields):
    uid, _ = create_user_factory("trainee", **fields)
    with app.test_request_context():
        simulate_learning(db.session.get(User, uid), CONTENT.course(course_id), CONTENT)
        db.session.scalar(select(CourseCompletion).where(CourseCompletion.user_id == uid)).completed_at = when
        db.session.commit()
    return uid


def test_dashboard_counts_people_against_the_target(app, client, login_as, create_user_factory):
    _complete(app, create_user_factory, dt.datetime(2026, 4, 1, 9, tzinfo=JST), "counter-staff",
              audience="counter_staff", department="税務課", employee_no="000201")
    _complete(app, create_user_factory, dt.datetime(2026, 11, 2, 9, tzinfo=JST), "teachers",
              audience="teachers", department="区立第一中学校", employee_no="000202")
    _complete(app, create_user_factory, dt.datetime(2026, 3, 31, 23, tzinfo=JST), "counter-staff",
              audience="counter_staff", department="税務課", employee_no="000203")
    login_as("personnel", audience=None)
    html = client.get("/records/?year=2026").get_data(as_text=True)
    assert "2026年度" in html and "目標 350人" in html
    assert '<p class="kpi__value">2<span' in html
    assert "窓口業務等の職員</th><td>1人" in html and "教員</th><td>1人" in html
    assert "<svg" in html and "4月 1人" in html and "11月 1人" in html
    previous = client.get("/records/?year=2025").get_data(as_text=True)
    assert '<p class="kpi__value">1<span' in previous


def test_person_history(app, client, login_as, create_user_factory):
    _complete(app, create_user_factory, dt.datetime(2026, 6, 1, 9, tzinfo=JST), "counter-staff",
              audience="counter_staff", display_name="光が丘 健", employee_no="000301")
    login_as("personnel", audience=None)
    html = client.get("/records/people?q=000301").get_data(as_text=True)
    assert "光が丘 健" in html
    person = html[html.index('href="/records/people/') + 6:]
    html = client.get(person[:person.index('"')]).get_data(as_text=True)
    assert "光が丘 健" in html and "窓口職員向けゲートキーパー講座" in html and "GK2026-" in html
