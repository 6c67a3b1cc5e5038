"""In-person sessions (issue 17): CRUD and access, participants, roll call, attendance CSV,
role-play, in-person and blended completions with their certificate kind, edits audited."""
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from tests.conftest import AuthActions
from tests.support.classes import make_class
from tests.support.learner import csrf
from training.certificates.service import certificate_data
from training.content import load_checked
from training.demo import simulate_learning
from training.extensions import db
from training.models import (AuditEntry, Certificate, CourseCompletion, SessionParticipant, TrainingSession, User)
from training.site_settings import load as load_settings

CONTENT = load_checked(Path(__file__).resolve().parents[2])
COURSE = CONTENT.course("counter-staff")
FORM = {"title": "窓口職員向け 集合研修 11月", "course_id": COURSE.id, "held_on": "2026-11-20", "starts_at": "14:00",
        "ends_at": "16:00", "venue": "区役所 本庁舎 5階 研修室", "capacity": "2", "lecturer": "保健師 区民 花子",
        "mode": "in_person", "cohort_id": ""}


def _create(client, **changes) -> int:
    page = client.get("/teach/sessions/new")
    response = client.post("/teach/sessions/new", data={**FORM, **changes, "csrf_token": csrf(page.get_data(as_text=True))})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/teach/sessions/(\d+)", response.headers["Location"]).group(1))


def _token(client, path) -> str:
    return csrf(client.get(path).get_data(as_text=True))


def _mark(client, sid, uid, status, **extra):
    return client.post(f"/teach/sessions/{sid}/roll-call/{uid}",
                       data={"csrf_token": _token(client, f"/teach/sessions/{sid}/roll-call"), "status": status, **extra})


def _participant(app, sid, uid) -> SessionParticipant:
    with app.app_context():
        return db.session.scalar(select(SessionParticipant).where(SessionParticipant.session_id == sid,
                                                                  SessionParticipant.user_id == uid))


def _audits(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def test_session_crud_access_and_participants(app, client, login_as, create_user_factory):
    """Create, list, edit, delete-if-empty; another instructor gets 404; members of a class,
    a roster CSV refused whole for one unknown number, then accepted; walk-ins; capacity warns."""
    _uid, login = login_as("instructor")
    staff = [create_user_factory("trainee", display_name=f"職員 {i}", employee_no=f"00{i}10") for i in range(3)]
    _oid, other_login = create_user_factory("instructor")
    cohort_id = make_class(app, login, member_ids=[staff[0][0], staff[1][0]])
    # Bad input: a clear message, nothing stored.
    page = client.get("/teach/sessions/new")
    bad = client.post("/teach/sessions/new", data={**FORM, "ends_at": "13:00", "csrf_token": csrf(page.get_data(as_text=True))})
    assert bad.status_code == 400 and "終了時刻は開始時刻より後にしてください" in bad.get_data(as_text=True)
    sid = _create(client, cohort_id=str(cohort_id))
    assert "窓口職員向け 集合研修 11月" in client.get("/teach/sessions").get_data(as_text=True)

    other = app.test_client()
    AuthActions(other).login(other_login)
    assert other.get(f"/teach/sessions/{sid}").status_code == 404
    assert other.get(f"/teach/sessions/{sid}/roll-call").status_code == 404
    assert "窓口職員向け" not in other.get("/teach/sessions").get_data(as_text=True)

    # A co-owner sees it; taken off again, they do not; the last owner stays.
    token = _token(client, f"/teach/sessions/{sid}")
    client.post(f"/teach/sessions/{sid}/owners", data={"csrf_token": token, "login_id": other_login})
    assert other.get(f"/teach/sessions/{sid}").status_code == 200
    client.post(f"/teach/sessions/{sid}/owners/{_oid}/remove", data={"csrf_token": token})
    assert other.get(f"/teach/sessions/{sid}").status_code == 404
    text = client.post(f"/teach/sessions/{sid}/owners/{_uid}/remove", data={"csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "担当が1人だけのときは外せません" in text
    assert "ひも付いた集合研修" in client.get(f"/teach/classes/{cohort_id}").get_data(as_text=True)
    # The linked class in one click.
    detail = client.get(f"/teach/sessions/{sid}").get_data(as_text=True)
    assert "ひも付けたクラス" in detail
    client.post(f"/teach/sessions/{sid}/participants/class", data={"csrf_token": csrf(detail), "cohort_id": str(cohort_id)})
    # A roster with an unknown number: refused whole (the known person is not added either).
    token = _token(client, f"/teach/sessions/{sid}")
    roster = "職員番号,氏名\n00210,職員 2\n99999,知らない人\n".encode("cp932")
    response = client.post(f"/teach/sessions/{sid}/participants/csv", follow_redirects=True,
                           data={"csrf_token": token, "file": (io.BytesIO(roster), "roster.csv")})
    text = response.get_data(as_text=True)
    assert "3行目" in text and "登録されていません" in text and "誰も追加していません" in text
    with app.app_context():
        assert len(db.session.get(TrainingSession, sid).participants) == 2
    response = client.post(f"/teach/sessions/{sid}/participants/csv", follow_redirects=True,
                           data={"csrf_token": token, "file": (io.BytesIO("職員番号,氏名\n00210,職員 2\n".encode()), "r.csv")})
    text = response.get_data(as_text=True)
    assert "名簿から1人を参加者に追加しました" in text and "定員（2人）を超えています" in text
    # Walk-ins: a resident by name only (no password), a member of staff found by number, a new one.
    response = client.post(f"/teach/sessions/{sid}/participants/walk-in", follow_redirects=True,
                           data={"csrf_token": token, "kind": "resident", "name": "区民 一郎"})
    assert "区民 一郎 さんを当日参加として登録しました（新しい受講者として登録）" in response.get_data(as_text=True)
    response = client.post(f"/teach/sessions/{sid}/participants/walk-in",
                           data={"csrf_token": token, "kind": "staff", "name": "職員 1", "employee_no": "00110"})
    assert response.status_code == 400 and "すでに参加者に登録されています" in response.get_data(as_text=True)
    response = client.post(f"/teach/sessions/{sid}/participants/walk-in",
                           data={"csrf_token": token, "kind": "staff", "name": "新人 職員", "employee_no": ""})
    assert response.status_code == 400 and "職員番号を入力してください" in response.get_data(as_text=True)
    client.post(f"/teach/sessions/{sid}/participants/walk-in",
                data={"csrf_token": token, "kind": "staff", "name": "新人 職員", "employee_no": "T7001", "department": "保健予防課"})
    with app.app_context():
        resident = db.session.scalar(select(User).where(User.display_name == "区民 一郎"))
        assert resident.password_hash == "!" and resident.roles == {"trainee"} and resident.audience == "residents"
        newcomer = db.session.scalar(select(User).where(User.employee_no == "T7001"))
        assert newcomer.department == "保健予防課" and newcomer.audience == COURSE.audience
        assert len(db.session.get(TrainingSession, sid).participants) == 5
        resident_id, newcomer_id = resident.id, newcomer.id
    # A walk-in gets a first-login password from the session page, once; a staff member who can
    # already sign in does not (their password is their class's business).
    page = client.get(f"/teach/sessions/{sid}").get_data(as_text=True)
    assert f"/participants/{newcomer_id}/password" in page and f"/participants/{staff[0][0]}/password" not in page
    response = client.post(f"/teach/sessions/{sid}/participants/{newcomer_id}/password", data={"csrf_token": token})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    password = re.search(r"初回ログイン用パスワード</th><td class=\"mono\">([^<]+)<", text).group(1)
    assert "ID通知書（1人分）" in text and "T7001" in text
    response = client.post(f"/teach/sessions/{sid}/participants/{newcomer_id}/password", data={"csrf_token": token},
                           follow_redirects=True)
    assert "すでにログインできます" in response.get_data(as_text=True)
    response = client.post(f"/teach/sessions/{sid}/participants/{staff[0][0]}/password", data={"csrf_token": token},
                           follow_redirects=True)
    assert "すでにログインできます" in response.get_data(as_text=True)
    assert client.post(f"/teach/sessions/{sid}/participants/{newcomer_id}/password").status_code == 400  # no CSRF
    with app.app_context():
        newcomer = db.session.get(User, newcomer_id)
        assert newcomer.must_change_password and check_password_hash(newcomer.password_hash, password)
    assert [a.target_id for a in _audits(app, "session.walk_in_sign_in")] == [str(newcomer_id)]
    assert other.post(f"/teach/sessions/{sid}/participants/{resident_id}/password",
                      data={"csrf_token": _token(other, "/teach/sessions")}).status_code == 404
    with app.app_context():
        assert db.session.get(User, resident_id).password_hash == "!"
    response = client.post(f"/teach/sessions/{sid}/participants/{resident_id}/remove", follow_redirects=True,
                           data={"csrf_token": token})
    assert "区民 一郎 さんを参加者から外しました" in response.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.get(TrainingSession, sid).participants) == 4
    # Delete only when empty.
    client.post(f"/teach/sessions/{sid}/delete", data={"csrf_token": token})
    empty = _create(client)
    response = client.post(f"/teach/sessions/{empty}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(TrainingSession, sid) is not None and db.session.get(TrainingSession, empty) is None
    assert [a.action for a in _audits(app, "session.delete")] == ["session.delete"]


def test_roll_call_records_in_person_completions_and_certificate_kind(app, client, login_as, create_user_factory):
    """Attended completes (dated the session, kind in_person, certificate says 集合研修); late
    counts; left early counts only when confirmed; absent does not. Changing a status later keeps
    the completion; editing the session afterwards is audited and the page says so."""
    _uid, login = login_as("instructor")
    people = [create_user_factory("trainee", display_name=f"受講 {i}", employee_no=f"E{i}00") for i in range(4)]
    cohort_id = make_class(app, login, member_ids=[p[0] for p in people])
    sid = _create(client, cohort_id=str(cohort_id))
    client.post(f"/teach/sessions/{sid}/participants/class",
                data={"csrf_token": _token(client, f"/teach/sessions/{sid}"), "cohort_id": str(cohort_id)})
    roll = client.get(f"/teach/sessions/{sid}/roll-call").get_data(as_text=True)
    assert roll.count('name="status" value="attended"') == 4 and "声かけ" in roll
    a, b, c, d = (p[0] for p in people)
    response = _mark(client, sid, a, "attended", roleplay_sent="1", roleplay=["koekake", "keicho", "bogus"])
    assert response.status_code == 303
    _mark(client, sid, b, "late")
    _mark(client, sid, c, "left_early")
    _mark(client, sid, d, "absent")
    assert _mark(client, sid, d, "sleeping").status_code == 303  # refused with a message
    with app.app_context():
        rows = {r.user_id: r for r in db.session.scalars(select(CourseCompletion))}
        assert set(rows) == {a, b}
        assert rows[a].kind == "in_person" and rows[a].fiscal_year == 2026
        assert rows[a].completed_at == dt.datetime(2026, 11, 20, 7, 0, tzinfo=dt.timezone.utc)  # 16:00 JST
        cert = db.session.scalar(select(Certificate).where(Certificate.user_id == a))
        assert cert.completed_on == dt.date(2026, 11, 20)
        assert certificate_data(cert, load_settings()).kind_label == "集合研修"
    assert _participant(app, sid, a).roleplay == ["koekake", "keicho"]
    assert _participant(app, sid, d).status == "absent"
    _mark(client, sid, c, "left_early", left_early_confirmed="1")
    assert _participant(app, sid, c).completion_id is not None
    text = client.post(f"/teach/sessions/{sid}/participants/{a}/remove", follow_redirects=True,
                       data={"csrf_token": _token(client, f"/teach/sessions/{sid}")}).get_data(as_text=True)
    assert "修了を記録済みのため、参加者から外せません" in text and "傾聴（" in text
    # A later change keeps the completion; it is audited.
    _mark(client, sid, a, "absent")
    assert _participant(app, sid, a).completion_id is not None
    assert _audits(app, "session.attendance")[-1].detail["completion_kept"]
    # Group role-play ticks.
    client.post(f"/teach/sessions/{sid}/roleplay",
                data={"csrf_token": _token(client, f"/teach/sessions/{sid}/roll-call"), "roleplay": ["tsunagu"]})
    assert _participant(app, sid, b).roleplay == ["tsunagu"] and _participant(app, sid, d).roleplay == []
    # Edit after completions: completions stay, the change audited, the page says so.
    edit = client.get(f"/teach/sessions/{sid}/edit").get_data(as_text=True)
    assert "3人の修了を記録しています" in edit
    response = client.post(f"/teach/sessions/{sid}/edit", follow_redirects=True,
                           data={**FORM, "held_on": "2026-11-27", "csrf_token": csrf(edit), "cohort_id": str(cohort_id)})
    assert "記録された修了（3人）はそのまま残ります" in response.get_data(as_text=True)
    entry = _audits(app, "session.update")[-1]
    assert entry.detail["before"]["held_on"] == "2026-11-20" and entry.detail["completions_kept"] == 3
    with app.app_context():
        assert {c.completed_at.date() for c in db.session.scalars(select(CourseCompletion))} == {dt.date(2026, 11, 20)}
    # The class's progress matrix shows the attendance.
    matrix = client.get(f"/teach/classes/{cohort_id}/progress").get_data(as_text=True)
    assert "集合研修" in matrix and "遅刻" in matrix
    csv_text = client.get(f"/teach/classes/{cohort_id}/progress.csv").get_data().decode("utf-8-sig")
    assert csv_text.splitlines()[0].endswith(",集合研修") and "11月27日 遅刻" in csv_text


def test_attendance_csv_is_all_or_nothing(app, client, login_as, create_user_factory):
    _uid, login = login_as("instructor")
    people = [create_user_factory("trainee", employee_no=f"P{i}") for i in range(2)]
    cohort_id = make_class(app, login, member_ids=[p[0] for p in people])
    sid = _create(client)
    client.post(f"/teach/sessions/{sid}/participants/class",
                data={"csrf_token": _token(client, f"/teach/sessions/{sid}"), "cohort_id": str(cohort_id)})
    token = _token(client, f"/teach/sessions/{sid}/roll-call")
    bad = "職員番号,出欠\nP0,出席\nZ9,出席\nP1,寝坊\n".encode("cp932")
    text = client.post(f"/teach/sessions/{sid}/attendance", follow_redirects=True,
                       data={"csrf_token": token, "file": (io.BytesIO(bad), "a.csv")}).get_data(as_text=True)
    assert "3行目" in text and "参加者にいません" in text and "4行目" in text and "何も記録していません" in text
    assert _participant(app, sid, people[0][0]).status is None
    good = f"ログインID,出欠\n{people[0][1]},出席\nP1,欠席\n".encode()
    text = client.post(f"/teach/sessions/{sid}/attendance", follow_redirects=True,
                       data={"csrf_token": token, "file": (io.BytesIO(good), "a.csv")}).get_data(as_text=True)
    assert "出欠を2人分記録しました" in text and "修了を1人記録しました" in text
    assert _participant(app, sid, people[1][0]).status == "absent"
    # Not before the session's day: nothing recorded.
    later = _create(client, held_on="2099-01-15")
    client.post(f"/teach/sessions/{later}/participants/class",
                data={"csrf_token": token, "cohort_id": str(cohort_id)})
    text = client.post(f"/teach/sessions/{later}/roll-call/{people[0][0]}", follow_redirects=True,
                       data={"csrf_token": token, "status": "attended"}).get_data(as_text=True)
    assert "実施日（1月15日）より前には出欠を記録できません" in text
    assert _participant(app, later, people[0][0]).status is None


@pytest.mark.parametrize("elearning_first", [False, True])
def test_blended_completes_when_both_parts_are_done(app, client, login_as, create_user_factory, elearning_first):
    """Attendance alone writes nothing; the e-learning then writes a blended completion (or, the
    e-learning first, its completion becomes blended on attendance); one completion either way."""
    _uid, login = login_as("instructor")
    uid, _ = create_user_factory("trainee", employee_no="B100")
    cohort_id = make_class(app, login, member_ids=[uid])
    sid = _create(client, mode="blended", held_on="2026-04-10")
    client.post(f"/teach/sessions/{sid}/participants/class",
                data={"csrf_token": _token(client, f"/teach/sessions/{sid}"), "cohort_id": str(cohort_id)})

    def learn():
        with app.test_request_context():
            simulate_learning(db.session.get(User, uid), COURSE, CONTENT)
            db.session.commit()

    if elearning_first:
        learn()
    _mark(client, sid, uid, "attended")
    with app.app_context():
        kinds = [c.kind for c in db.session.scalars(select(CourseCompletion))]
    assert kinds == (["blended"] if elearning_first else [])
    if not elearning_first:
        learn()
    with app.app_context():
        (completion,) = db.session.scalars(select(CourseCompletion)).all()
        assert completion.kind == "blended"
        completion_id = completion.id
        cert = db.session.scalar(select(Certificate).where(Certificate.course_completion_id == completion.id))
        assert certificate_data(cert, load_settings()).kind_label == "集合研修＋e-ラーニング"
    assert _participant(app, sid, uid).completion_id == completion_id
