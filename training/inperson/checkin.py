"""QR check-in (受付) of in-person sessions (issue 17).

The instructor's page 「QRコードで受付」 (/teach/sessions/<id>/qr) shows, during the check-in
period (training.inperson.qr.checkin_period), a QR code of /checkin/<code> that changes every
minute; the page reloads itself (a ``Refresh`` header, no JavaScript). A signed-in participant
who opens the URL confirms with a button (POST, CSRF) and is marked 出席 through
training.inperson.attendance.mark(via="qr"), which records the completion when the session
completes the course. Someone not registered is told to see the reception and listed on the
roll call (SessionCheckinRequest) with 「当日参加として追加」.

A scan ticket (signed; good for 10 minutes after the code's minute, by training.clock) carries a code that was valid when scanned across the
sign-in page and the confirm button, so a slow sign-in or a late press does not fail; it never
extends past the end of the session.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from training import audit, clock
from training.auth.access import roles_required
from training.extensions import db, login_manager
from training.inperson import attendance, participants as people
from training.inperson.qr import CodeError, checkin_period, make_code, read_code, seconds_left, window_of
from training.inperson.routes import load_session
from training.inperson.rules import label as status_label
from training.models import SessionCheckinRequest, SessionParticipant, TrainingSession, User, utcnow
from training.teach.forms import ConfirmForm
from training.teach.routes import bp as teach_bp

bp = Blueprint("checkin", __name__)

#: A scan ticket is good for this many minutes after the minute of the code it carries.
TICKET_MINUTES = 10
PRESENT = ("attended", "late", "left_early")

EXPIRED = "このQRコードは期限切れです。会場に表示されている新しいコードを読み取ってください"
INVALID = "このQRコードは使えません。会場に表示されているQRコードを、もう一度読み取ってください"
ENDED = "この研修は終了したため、QRコードでは受付できません。出欠については研修の担当者にお問い合わせください"
NOT_REGISTERED = "この研修の参加者として登録されていません。受付の担当者にお声がけください"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="session-checkin-ticket")


def _message(text: str, status: int, session: TrainingSession | None = None, kind: str = "error"):
    return render_template("checkin/message.html", text=text, session=session, kind=kind), status


def _scan(code: str, ticket: str | None):
    """(session, window, ticket) of a code valid now (a new ticket) or carried by a ticket still
    valid (that same ticket: reloading never extends it), or (None, a message response)."""
    now = clock.now()
    try:
        session_id, window = read_code(current_app.config["SECRET_KEY"], code, now)
        fresh, ticket = True, _serializer().dumps([session_id, window])
    except CodeError as exc:
        if exc.kind == "invalid":
            return None, _message(INVALID, 404)
        session_id, window = (int(part) for part in code.split("-")[:2])
        try:
            carried = _serializer().loads(ticket or "") == [session_id, window]
        except BadSignature:
            carried = False
        fresh = carried and window_of(now) - window <= TICKET_MINUTES
    session = db.session.get(TrainingSession, session_id)
    if session is None:
        return None, _message(INVALID, 404)
    opens, closes = checkin_period(session.held_on, session.starts_at, session.ends_at)
    if now > closes:
        return None, _message(ENDED, 410, session)
    if now < opens:
        return None, _message(INVALID, 404)
    if not fresh:
        return None, _message(EXPIRED, 410, session)
    return (session, window, ticket), None


def _participant(session: TrainingSession) -> SessionParticipant | None:
    return db.session.scalar(select(SessionParticipant).where(SessionParticipant.session_id == session.id,
                                                              SessionParticipant.user_id == current_user.id))


def _not_registered(session: TrainingSession):
    """A participant of another session of the same day scanned this one's code: sent to their
    own session, nothing recorded. Anyone else: the attempt is kept for the roll call (one row
    per person); nothing else is recorded."""
    own = db.session.scalar(select(TrainingSession).join(SessionParticipant).where(
        SessionParticipant.user_id == current_user.id, TrainingSession.held_on == session.held_on,
        TrainingSession.id != session.id).order_by(TrainingSession.starts_at, TrainingSession.id).limit(1))
    if own is not None:
        return _message(f"このQRコードは別の研修「{session.title}」のものです。ご参加の研修「{own.title}」"
                        f"（{own.starts_at.strftime('%H:%M')}〜・{own.venue}）の会場に表示されているQRコードを読み取ってください",
                        404, session)
    found = db.session.scalar(select(SessionCheckinRequest).where(SessionCheckinRequest.session_id == session.id,
                                                                  SessionCheckinRequest.user_id == current_user.id))
    if found is None:
        try:
            with db.session.begin_nested():  # a double scan: the other request wrote the row
                db.session.add(SessionCheckinRequest(session_id=session.id, user_id=current_user.id))
        except IntegrityError:
            pass
        else:
            audit.record("session.checkin_request", target_type="training_session", target_id=session.id,
                         user_id=current_user.id)
    else:
        found.last_at = utcnow()
        found.attempts += 1
    db.session.commit()
    return _message(NOT_REGISTERED, 403, session)


@bp.route("/checkin/<code>", methods=["GET", "POST"])
def checkin(code: str):
    """GET: the confirm page; POST: the check-in. Not signed in: the sign-in page, then back."""
    ticket = request.values.get("t")
    if not current_user.is_authenticated:
        scanned, _refused = _scan(code, ticket)
        if scanned is None or request.method != "GET":
            return login_manager.unauthorized()
        return redirect(url_for("auth.login", next=url_for("checkin.checkin", code=code, t=scanned[2])))
    scanned, refused = _scan(code, ticket)
    if refused is not None:
        return refused
    session, window, ticket = scanned
    participant = _participant(session)
    if participant is None:
        return _not_registered(session)
    if participant.status is not None:
        return _message(f"すでに受付済みです（いまの記録：{status_label(participant.status)}）。このままご参加ください。",
                        200, session, kind="info")
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            attendance.mark(session, participant, "attended", via="qr")
        except attendance.AttendanceError as exc:
            db.session.rollback()
            return _message(str(exc), 409, session)
        audit.record("session.checkin", target_type="training_session", target_id=session.id,
                     user_id=current_user.id, window=window)
        db.session.commit()
        return _message("受付が完了しました（出席を記録しました）。研修が始まるまでお待ちください。", 200, session, kind="info")
    return render_template("checkin/confirm.html", session=session, form=form, code=code,
                           ticket=ticket)


# The instructor's side --------------------------------------------------------------------

def _present(session: TrainingSession) -> tuple[int, int]:
    rows = db.session.execute(select(SessionParticipant.status, func.count(SessionParticipant.id))
                              .where(SessionParticipant.session_id == session.id)
                              .group_by(SessionParticipant.status)).all()
    return sum(n for s, n in rows if s in PRESENT), sum(n for _s, n in rows)


@teach_bp.route("/sessions/<int:session_id>/qr")
@roles_required("instructor", "admin")
def session_qr(session_id: int):
    """The full-screen QR page: reloads itself when the code changes (every minute)."""
    session = load_session(session_id)
    now = clock.now()
    opens, closes = checkin_period(session.held_on, session.starts_at, session.ends_at)
    present, registered = _present(session)
    svg, left, state = None, None, "open"
    if now < opens:
        state = "early"
    elif now > closes:
        state = "ended"
    else:
        code = make_code(current_app.config["SECRET_KEY"], session.id, window_of(now))
        url = url_for("checkin.checkin", code=code, _external=True)
        import segno  # here, not at start-up: only the QR page needs it

        svg = segno.make(url, error="m").svg_inline(scale=8, border=4, dark="#1f2a30", light="#ffffff",
                                                    omitsize=True)
        left = seconds_left(now)
    response = current_app.make_response(render_template(
        "teach/session_qr.html", session=session, svg=svg, left=left, state=state, opens=opens, closes=closes,
        present=present, registered=registered))
    if state != "ended":
        response.headers["Refresh"] = str(left + 1 if left else 60)
    return response


def requests_of(session: TrainingSession):
    """(request, person) of those who asked at the door and are not registered yet, oldest first."""
    return db.session.execute(
        select(SessionCheckinRequest, User).join(User, User.id == SessionCheckinRequest.user_id)
        .where(SessionCheckinRequest.session_id == session.id,
               SessionCheckinRequest.user_id.not_in(select(SessionParticipant.user_id)
                                                    .where(SessionParticipant.session_id == session.id)))
        .order_by(SessionCheckinRequest.first_at, SessionCheckinRequest.id)).all()


@teach_bp.route("/sessions/<int:session_id>/checkin-requests/<int:user_id>/add", methods=["POST"])
@roles_required("instructor", "admin")
def add_checkin_request(session_id: int, user_id: int):
    """One click: the person who asked at the door becomes a walk-in participant marked 出席
    (they signed in and scanned the live code: the same evidence as a QR check-in)."""
    session = load_session(session_id)
    found = db.session.scalar(select(SessionCheckinRequest).where(SessionCheckinRequest.session_id == session.id,
                                                                  SessionCheckinRequest.user_id == user_id))
    if found is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    person = db.session.get(User, user_id)
    back = url_for("teach.roll_call", session_id=session.id)
    added = people._add(session, [user_id], "walk_in")
    if added:
        audit.record("session.participants_add", target_type="training_session", target_id=session.id,
                     via="checkin_request", added=added)
    participant = _participant_of(session, user_id)
    try:
        completion = attendance.mark(session, participant, "attended", via="checkin_request") \
            if participant.status is None else None
    except attendance.AttendanceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(back, 303)
    participant.marked_by_id = current_user.id
    db.session.delete(found)
    db.session.commit()
    flash(f"{person.display_name} さんを当日参加として追加し、出席を記録しました。"
          + ("修了を記録し、修了証を発行しました。" if completion else ""), "info")
    return redirect(back + f"#p{user_id}", 303)


def _participant_of(session: TrainingSession, user_id: int) -> SessionParticipant:
    return db.session.scalar(select(SessionParticipant).where(SessionParticipant.session_id == session.id,
                                                              SessionParticipant.user_id == user_id))
