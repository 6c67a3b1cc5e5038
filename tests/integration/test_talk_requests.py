"""Requests to talk (issue 15): a trainee asks the staff of their class to contact them.

Stored once per class while open, told to the class's owners only (home page; mail once when
SMTP is set), closed by a follow-up; audited by ids, never exported, erased by retention.
"""
import datetime as dt
import email
import email.policy
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import AuthActions
from tests.support.classes import make_class
from tests.support.learner import csrf, survey_form
from tests.support.smtp import Inbox, app_mail_to
from training.content import load_checked
from training.dates import JST
from training.demo import simulate_learning
from training.extensions import db
from training.models import AuditEntry, CourseCompletion, TalkRequest, User

CONTENT = load_checked(Path(__file__).resolve().parents[2])
HIGH_SCHOOL = CONTENT.course("high-school")
COUNTER = CONTENT.course("counter-staff")
WITH_HELP = next(o for o in CONTENT.survey.distress_options if o.show_help)


def _client(app, login_id):
    client = app.test_client()
    assert AuthActions(client).login(login_id).status_code == 302
    return client


def _learned(app, user_id, course, *, post=False):
    with app.test_request_context():
        simulate_learning(db.session.get(User, user_id), course, CONTENT, post=post)
        db.session.commit()


def _ask(client, course_id, cohort_id, origin="distress"):
    page = client.get(f"/talk/{course_id}/{origin}").get_data(as_text=True)
    return client.post(f"/talk/{course_id}/{origin}", data={"csrf_token": csrf(page), "cohort_id": str(cohort_id)},
                       follow_redirects=True)


def _rows(app):
    with app.app_context():
        return db.session.scalars(select(TalkRequest).order_by(TalkRequest.id)).all()


def _audits(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


@pytest.fixture
def school(app, create_user_factory):
    """A high-school student at the post-survey, in a class run by a teacher (with an e-mail
    address); another teacher's class next to it."""
    _tid, teacher = create_user_factory("instructor", audience=None, display_name="山田 花子", email="yamada@example.jp")
    _oid, other = create_user_factory("instructor", audience=None, display_name="別の 担当")
    student_id, student = create_user_factory("trainee", audience="high_school", display_name="高校 生徒")
    cohort = make_class(app, teacher, name="2年1組", audience="high_school", member_ids=[student_id])
    other_cohort = make_class(app, other, name="ほかのクラス", audience="high_school")
    _learned(app, student_id, HIGH_SCHOOL)
    return {"teacher": teacher, "other": other, "student": student, "student_id": student_id,
            "cohort": cohort, "other_cohort": other_cohort}


def test_a_student_asks_from_the_distress_check_once_and_the_teacher_is_mailed_once(app, school):
    inbox = Inbox()
    student = _client(app, school["student"])
    with app_mail_to(app, inbox):
        page = student.get("/learn/high-school/survey/post").get_data(as_text=True)
        students = CONTENT.survey.for_audience("high_school")
        assert students.distress_text in page and CONTENT.survey.distress_text not in page  # their own wording
        thanks = student.post("/learn/high-school/survey/post", data={
            **survey_form(CONTENT, post=True, distress=WITH_HELP.id, audience="high_school"),
            "csrf_token": csrf(page)}).get_data(as_text=True)
        assert students.distress_help in thanks and 'href="/talk/high-school/distress"' in thanks

        consent = student.get("/talk/high-school/distress").get_data(as_text=True)
        assert "この講座を実施している学校の先生（山田 花子 先生）" in consent
        assert "アンケートやチェックインで答えた内容は伝わりません" in consent and "119" in consent
        assert "別の 担当" not in consent

        received = _ask(student, "high-school", school["cohort"]).get_data(as_text=True)
        assert "受け付けました" in received and "声をかけてほしいと依頼する" not in received
        assert "依頼：受け付けました" in student.get("/").get_data(as_text=True)
        again = _ask(student, "high-school", school["cohort"]).get_data(as_text=True)  # a second click
        assert "すでに依頼を受け付けています" in again
        tampered = _ask(student, "high-school", school["other_cohort"]).get_data(as_text=True)
        assert "このクラスには依頼できません" in tampered

    rows = _rows(app)
    assert [(r.cohort_id, r.origin, r.open_slot, r.notify_status) for r in rows] == [
        (school["cohort"], "distress", True, "sent")]
    assert [m.rcpt_tos for m in inbox.messages] == [["yamada@example.jp"]]  # once, to the class's teacher only
    mail = email.message_from_bytes(inbox.messages[0].content, policy=email.policy.default)
    body = mail.get_content()
    assert "2年1組" in body and "高校 生徒" not in body and WITH_HELP.text not in body
    entries = _audits(app, "talk.request")
    assert [(e.target_id, e.detail) for e in entries] == [(str(rows[0].id), {"cohort_id": school["cohort"]})]

    # A deactivated account is signed out: a form opened before stores nothing.
    token = csrf(student.get("/talk/high-school/checkin").get_data(as_text=True))
    with app.app_context():
        db.session.get(User, school["student_id"]).active = False
        db.session.commit()
    response = student.post("/talk/high-school/checkin", data={"csrf_token": token, "cohort_id": str(school["cohort"])})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert len(_rows(app)) == 1


def test_only_the_class_s_staff_see_and_close_a_request(app, school, create_user_factory):
    app.config["MAIL_SERVER"] = ""  # no SMTP: the home page is the channel
    student = _client(app, school["student"])
    _ask(student, "high-school", school["cohort"], origin="checkin")
    (request,) = _rows(app)
    assert request.notify_status is None
    url = f"/talk/requests/{request.id}"

    other = _client(app, school["other"])
    assert "声をかけてほしいという依頼" not in other.get("/").get_data(as_text=True)
    assert other.get(url).status_code == 404
    assert other.post(url, data={"csrf_token": csrf(other.get("/").get_data(as_text=True)),
                                 "followed_up_on": "2026-12-01"}).status_code == 404
    _aid, admin_login = create_user_factory("admin", audience=None)
    admin = _client(app, admin_login)
    assert admin.get(url).status_code == 404 and "高校 生徒" not in admin.get("/").get_data(as_text=True)
    _pid, personnel_login = create_user_factory("personnel", audience=None)
    assert _client(app, personnel_login).get(url).status_code == 403

    teacher = _client(app, school["teacher"])
    home = teacher.get("/").get_data(as_text=True)
    assert "声をかけてほしいという依頼（1件）" in home and "高校 生徒 さん" in home and "2年1組" in home
    assert "気持ちのチェックイン" in home
    page = teacher.get(url).get_data(as_text=True)
    today = dt.datetime.now(JST).date().isoformat()
    too_long = teacher.post(url, data={"csrf_token": csrf(page), "followed_up_on": today, "note": "あ" * 501})
    assert too_long.status_code == 200
    assert re.search(r'id="note-error">500文字以内で入力してください。', too_long.get_data(as_text=True))
    assert _rows(app)[0].open_slot is True
    done = teacher.post(url, data={"csrf_token": csrf(page), "followed_up_on": today, "note": "放課後に面談した"},
                        follow_redirects=True).get_data(as_text=True)
    assert "対応を記録しました" in done and "声をかけてほしいという依頼（" not in done
    again = teacher.post(url, data={"csrf_token": csrf(page), "followed_up_on": today, "note": "上書き"},
                         follow_redirects=True).get_data(as_text=True)
    assert "すでに対応済みです" in again and "放課後に面談した" in again
    (closed,) = _rows(app)
    assert (closed.open_slot, closed.follow_up_note, closed.followed_up_on.isoformat()) == (None, "放課後に面談した", today)
    follow_ups = _audits(app, "talk.follow_up")
    assert [(e.target_id, e.detail) for e in follow_ups] == [(str(closed.id), {"cohort_id": school["cohort"]})]
    assert "担当者が対応しました" in student.get("/talk/high-school/checkin").get_data(as_text=True)
    assert "依頼：担当者が対応しました" in student.get("/").get_data(as_text=True)


def test_a_trainee_without_a_class_is_told_so_and_nothing_is_stored(app, login_as, client, school):
    _uid, _login = login_as("trainee", audience="counter_staff")
    page = client.get("/talk/counter-staff/distress").get_data(as_text=True)
    assert "声をかけられる担当者がいません" in page and 'href="/help"' in page and "依頼は保存していません" in page
    response = client.post("/talk/counter-staff/distress", data={"csrf_token": csrf(page),
                                                                 "cohort_id": str(school["cohort"])},
                           follow_redirects=True)
    assert "このクラスには依頼できません" in response.get_data(as_text=True)
    assert _rows(app) == []


def test_requests_are_never_exported_and_retention_erases_them(app, runner, create_user_factory):
    app.config["MAIL_SERVER"] = ""
    _iid, instructor = create_user_factory("instructor", "personnel", "admin", audience=None, display_name="区 担当")
    trainee_id, trainee = create_user_factory("trainee", audience="counter_staff", display_name="窓口 太郎",
                                              employee_no="000777")
    cohort = make_class(app, instructor, name="窓口研修", member_ids=[trainee_id])
    _learned(app, trainee_id, COUNTER, post=True)
    client = _client(app, trainee)
    consent = client.get("/talk/counter-staff/checkin").get_data(as_text=True)
    assert "クラス「窓口研修」の研修担当（区 担当 さん）" in consent
    _ask(client, "counter-staff", cohort, origin="checkin")
    (request,) = _rows(app)
    staff = _client(app, instructor)
    page = staff.get(f"/talk/requests/{request.id}").get_data(as_text=True)
    staff.post(f"/talk/requests/{request.id}", data={"csrf_token": csrf(page), "note": "窓口を紹介した",
                                                     "followed_up_on": dt.datetime.now(JST).date().isoformat()})
    assert _rows(app)[0].follow_up_note == "窓口を紹介した"

    export_page = staff.get("/records/export").get_data(as_text=True)
    exported = staff.post("/records/export", data={"csrf_token": csrf(export_page), "fiscal_year": "",
                                                   "format": "csv"}).data.decode("utf-8-sig")
    tokens = staff.get("/records/tokens").get_data(as_text=True)
    token = re.search(r'<p class="mono token">([^<]+)</p>', staff.post("/records/tokens", data={
        "csrf_token": csrf(tokens), "name": "確認"}).get_data(as_text=True)).group(1)
    api = json.dumps(app.test_client().get("/api/v1/completions", headers={"Authorization": f"Bearer {token}"})
                     .get_json(), ensure_ascii=False)
    progress = staff.get(f"/teach/classes/{cohort}/progress.csv").data.decode("utf-8-sig")
    audit_csv = staff.get("/admin/audit.csv").data.decode("utf-8-sig")
    for text in (exported, api, progress):
        assert "窓口 太郎" in text or "000777" in text  # the person is in it...
        assert "窓口を紹介した" not in text and "気持ちのチェックイン" not in text and "talk" not in text  # ...the request is not
    assert "窓口を紹介した" not in audit_csv  # the audit log names ids only

    long_ago = dt.datetime(2019, 6, 1, 9, tzinfo=JST)
    with app.app_context():
        db.session.scalar(select(CourseCompletion).where(CourseCompletion.user_id == trainee_id)).completed_at = long_ago
        user = db.session.get(User, trainee_id)
        user.created_at = user.last_login_at = long_ago
        db.session.commit()
    assert runner.invoke(args=["retention", "--years", "5"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TalkRequest)) == 0
    assert staff.get(f"/talk/requests/{request.id}").status_code == 404


def test_a_low_check_in_offers_the_request_and_it_reaches_the_class(app, school):
    """The check-in's low answer carries the offer; asking from it stores origin "checkin"."""
    student = _client(app, school["student"])
    page = student.get("/learn/high-school/m/hs-own-sos/s/" + CONTENT.module("hs-own-sos")
                       .sections_for("high_school")[-1].id).get_data(as_text=True)
    assert "いまの気持ちは？" in page
    low = student.post("/learn/high-school/checkin", data={
        "csrf_token": csrf(page), "place": "module:hs-own-sos", "level": "1"}).get_data(as_text=True)
    assert 'href="/talk/high-school/checkin"' in low and "学校の先生から声をかけてもらう" in low
    received = _ask(student, "high-school", school["cohort"], origin="checkin").get_data(as_text=True)
    assert "受け付けました" in received
    assert [(r.cohort_id, r.origin) for r in _rows(app)] == [(school["cohort"], "checkin")]
    teacher = _client(app, school["teacher"])
    home = teacher.get("/").get_data(as_text=True)
    assert "高校 生徒" in home and "気持ちのチェックイン" in home
