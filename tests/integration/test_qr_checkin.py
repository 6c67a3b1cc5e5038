"""QR check-in of an in-person session (issue 17): the rotating code page, a participant's
check-in (current and previous minute, through the sign-in page), expired, forged and other
sessions' codes, after the session, twice, and a person not registered: listed, then added."""
import datetime as dt
import re
from urllib.parse import unquote

from sqlalchemy import func, select

from tests.conftest import PASSWORD, AuthActions
from tests.support.learner import csrf
from tests.support.sessions import make_session
from training.dates import JST
from training.extensions import db
from training.inperson.qr import make_code, window_of
from training.models import AuditEntry, CourseCompletion, SessionCheckinRequest, SessionParticipant

AT_START = dt.datetime(2026, 11, 20, 14, 0, 30, tzinfo=JST)  # make_session: 20 November, 14:00-16:00


def _code(app, sid, moment):
    return make_code(app.config["SECRET_KEY"], sid, window_of(moment))


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_qr_checkin(app, client, login_as, create_user_factory):
    _iid, instructor = login_as("instructor")
    member_id, member = create_user_factory("trainee", display_name="受付 花子")
    stranger_id, stranger = create_user_factory("trainee", display_name="未登録 太郎")
    sid = make_session(app, instructor, title="窓口職員向け 集合研修（QR）")
    other_sid = make_session(app, instructor, title="別の集合研修")
    with app.app_context():
        db.session.add(SessionParticipant(session_id=sid, user_id=member_id, via="csv", roleplay=[]))
        db.session.commit()

    # The QR page: not before 30 minutes ahead of the start; then the code, reloading itself.
    app.config["FROZEN_NOW"] = dt.datetime(2026, 11, 20, 13, 20, tzinfo=JST)
    early = client.get(f"/teach/sessions/{sid}/qr").get_data(as_text=True)
    assert "13:30（開始の30分前）から表示します" in early and "<svg" not in early
    app.config["FROZEN_NOW"] = AT_START
    qr = client.get(f"/teach/sessions/{sid}/qr")
    html = qr.get_data(as_text=True)
    assert qr.status_code == 200 and "<svg" in html and "あと約30秒" in html and qr.headers["Refresh"] == "31"
    assert "受付済み 0人 ／ 参加者 1人" in html
    assert "QRコードで受付" in client.get(f"/teach/sessions/{sid}").get_data(as_text=True)
    code = _code(app, sid, AT_START)

    # Not signed in: the sign-in page, then back to the confirm page, even a few minutes later.
    phone = app.test_client()
    to_login = phone.get(f"/checkin/{code}")
    assert to_login.status_code == 302 and "/login" in to_login.headers["Location"]
    back = unquote(to_login.headers["Location"].split("next=", 1)[1])
    assert back.startswith(f"/checkin/{code}?t=")
    signed_in = phone.post(f"/login?next={to_login.headers['Location'].split('next=', 1)[1]}",
                           data={"login_id": member, "password": PASSWORD, "csrf_token": AuthActions(phone).csrf_token()})
    assert signed_in.headers["Location"] == back
    app.config["FROZEN_NOW"] = AT_START + dt.timedelta(minutes=3)
    confirm = phone.get(back).get_data(as_text=True)
    assert "窓口職員向け 集合研修（QR）" in confirm and "受付する" in confirm
    assert f'name="t" value="{back.split("t=", 1)[1]}"' in confirm  # the same ticket: reloading never extends it
    app.config["FROZEN_NOW"] = AT_START + dt.timedelta(minutes=11)
    assert phone.get(back).status_code == 410  # the ticket is good for 10 minutes
    app.config["FROZEN_NOW"] = AT_START + dt.timedelta(minutes=3)
    # Without the ticket that code is now expired; forged and other sessions' codes are refused.
    expired = phone.get(f"/checkin/{code}")
    assert expired.status_code == 410
    assert "このQRコードは期限切れです。会場に表示されている新しいコードを読み取ってください" in expired.get_data(as_text=True)
    now = AT_START + dt.timedelta(minutes=3)
    forged = code[:-2] + ("AA" if not code.endswith("AA") else "BB")
    other = f"{other_sid}-" + code.split("-", 1)[1]
    for bad in (forged, other, "nonsense", _code(app, sid, now + dt.timedelta(minutes=2))):
        refused = phone.get(f"/checkin/{bad}")
        assert refused.status_code == 404 and "このQRコードは使えません" in refused.get_data(as_text=True), bad
    assert _count(app, AuditEntry, AuditEntry.action.like("session.%check%")) == 0

    # The previous minute's code still works; the confirm button marks 出席 (and the completion).
    previous = _code(app, sid, now - dt.timedelta(minutes=1))
    page = phone.get(f"/checkin/{previous}")
    assert page.status_code == 200
    done = phone.post(f"/checkin/{previous}", data={"csrf_token": csrf(page.get_data(as_text=True)),
                                                     "t": re.search(r'name="t" value="([^"]+)"', page.get_data(as_text=True)).group(1)})
    assert done.status_code == 200 and "受付が完了しました" in done.get_data(as_text=True)
    with app.app_context():
        participant = db.session.scalar(select(SessionParticipant).where(SessionParticipant.session_id == sid))
        assert participant.status == "attended" and participant.completion_id is not None
        assert db.session.scalar(select(CourseCompletion.kind).where(CourseCompletion.user_id == member_id)) == "in_person"
    # Twice: said so, nothing more recorded.
    again = phone.get(f"/checkin/{_code(app, sid, now)}").get_data(as_text=True)
    assert "すでに受付済みです（いまの記録：出席）" in again
    assert _count(app, AuditEntry, AuditEntry.action == "session.checkin") == 1
    assert _count(app, AuditEntry, AuditEntry.action == "session.attendance") == 1
    assert "受付済み 1人 ／ 参加者 1人" in client.get(f"/teach/sessions/{sid}/qr").get_data(as_text=True)

    # Not registered: nothing recorded but the request, listed on the roll call, added in one click.
    walker = app.test_client()
    AuthActions(walker).login(stranger)
    for _ in range(2):
        asked = walker.get(f"/checkin/{_code(app, sid, now)}")
        assert asked.status_code == 403
        assert "この研修の参加者として登録されていません。受付の担当者にお声がけください" in asked.get_data(as_text=True)
    assert _count(app, SessionParticipant, SessionParticipant.user_id == stranger_id) == 0
    with app.app_context():
        request_row = db.session.scalar(select(SessionCheckinRequest))
        assert (request_row.session_id, request_row.user_id, request_row.attempts) == (sid, stranger_id, 2)
    # A participant of this session scanning another session's code of the same day: sent back.
    wrong_room = phone.get(f"/checkin/{_code(app, other_sid, now)}")
    assert wrong_room.status_code == 404 and "このQRコードは別の研修「別の集合研修」のものです" in wrong_room.get_data(as_text=True)
    assert _count(app, SessionCheckinRequest, SessionCheckinRequest.user_id == member_id) == 0
    roll = client.get(f"/teach/sessions/{sid}/roll-call").get_data(as_text=True)
    assert "受付で登録を求めた方" in roll and "未登録 太郎" in roll
    added = client.post(f"/teach/sessions/{sid}/checkin-requests/{stranger_id}/add", data={"csrf_token": csrf(roll)})
    assert added.status_code == 303
    with app.app_context():
        joined = db.session.scalar(select(SessionParticipant).where(SessionParticipant.user_id == stranger_id))
        assert (joined.via, joined.status) == ("walk_in", "attended")
    roll = client.get(f"/teach/sessions/{sid}/roll-call").get_data(as_text=True)
    assert "当日参加として追加し、出席を記録しました" in roll and "受付で登録を求めた方" not in roll
    assert _count(app, SessionCheckinRequest) == 0

    # After the session: a genuine code of its last minute is refused; the QR page says it ended.
    last = _code(app, sid, dt.datetime(2026, 11, 20, 15, 59, 50, tzinfo=JST))
    app.config["FROZEN_NOW"] = dt.datetime(2026, 11, 20, 16, 0, 20, tzinfo=JST)
    ended = walker.get(f"/checkin/{last}")
    assert ended.status_code == 410 and "この研修は終了したため" in ended.get_data(as_text=True)
    final = client.get(f"/teach/sessions/{sid}/qr")
    assert "16:00 に終了しました" in final.get_data(as_text=True) and "Refresh" not in final.headers
