"""Requests to talk: which class's staff a trainee's request goes to, storing it once, telling
the staff (home page always, mail when SMTP is set), and the follow-up that closes it.

Who sees a request: the owners (研修担当) of the trainee's class for the course, and nobody
else: not admins, not personnel, not the owners of other classes. What they see: the
trainee's name, the class, when they asked and from where (a check-in or the post-survey's
distress check), never an answer. Requests are not exported anywhere; retention deletes them.
"""
from __future__ import annotations

import datetime as dt
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from training import audit
from training.email_addresses import EmailAddressError, normalise_email
from training.extensions import db
from training.models import Assignment, Cohort, CohortMember, CohortOwner, TalkRequest, User, utcnow
from training.teach.reminders import _send, smtp_configured

#: Where the offer was made -> how the staff read it.
ORIGINS = {"checkin": "気持ちのチェックイン", "distress": "事後アンケートの気持ちの確認"}
#: The longest follow-up note (a few sentences: what was done, not what was said).
NOTE_MAX = 500


class TalkRefused(ValueError):
    """A request that is not stored; the message says why, in Japanese."""


@dataclass(frozen=True)
class ClassStaff:
    """A class the request would go to, and the names of the people who will see it."""

    cohort: Cohort
    names: tuple[str, ...]

    @property
    def school(self) -> bool:
        """A high-school class: the staff are the school's teachers who run the course."""
        return self.cohort.audience == "high_school"

    @property
    def who(self) -> str:
        """Who will see the request, by name, in the wording the trainee's class uses."""
        if self.school:
            return f"この講座を実施している学校の先生（{'、'.join(n + ' 先生' for n in self.names)}）"
        return f"クラス「{self.cohort.name}」の研修担当（{'、'.join(n + ' さん' for n in self.names)}）"


@dataclass(frozen=True)
class Offer:
    """What the offer block shows: no class to tell, an open request, or the offer (maybe after a closed one)."""

    staff: ClassStaff | None
    open: TalkRequest | None = None
    closed: TalkRequest | None = None   # the latest closed request, if any


def _owner_names(cohort_ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    rows = db.session.execute(
        select(CohortOwner.cohort_id, User.display_name).join(User, User.id == CohortOwner.user_id)
        .where(CohortOwner.cohort_id.in_(cohort_ids or [-1]), User.active.is_(True))
        .order_by(CohortOwner.cohort_id, User.display_name))
    for cohort_id, name in rows:
        names.setdefault(cohort_id, []).append(name)
    return names


def classes_for(user_id: int, course) -> list[ClassStaff]:
    """The trainee's classes that run ``course`` (its audience, or an assignment of it) and have
    someone to tell: not archived, with at least one active owner. Newest fiscal year first."""
    assigned = select(Assignment.cohort_id).where(Assignment.course_id == course.id)
    cohorts = db.session.scalars(
        select(Cohort).join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(CohortMember.user_id == user_id, Cohort.archived.is_(False),
               or_(Cohort.audience == course.audience, Cohort.id.in_(assigned)))
        .order_by(Cohort.fiscal_year.desc(), Cohort.id.desc())).all()
    names = _owner_names([c.id for c in cohorts])
    return [ClassStaff(c, tuple(names[c.id])) for c in cohorts if names.get(c.id)]


def offer_for(user_id: int, course) -> Offer:
    """The state of the offer for this trainee and course (two or three queries)."""
    classes = classes_for(user_id, course)
    if not classes:
        return Offer(None)
    by_id = {s.cohort.id: s for s in classes}
    rows = db.session.scalars(
        select(TalkRequest).where(TalkRequest.user_id == user_id, TalkRequest.cohort_id.in_(list(by_id)))
        .order_by(TalkRequest.created_at.desc(), TalkRequest.id.desc())).all()
    open_row = next((r for r in rows if r.open_slot), None)
    if open_row is not None:
        return Offer(by_id[open_row.cohort_id], open=open_row)
    closed = next((r for r in rows if r.cohort_id == classes[0].cohort.id), None)
    return Offer(classes[0], closed=closed)


def ask(user, course, cohort_id: int | None, origin: str) -> TalkRequest:
    """Store one open request of ``user`` to the staff of class ``cohort_id`` and audit it (the
    caller commits). Raises TalkRefused, storing nothing, for a closed account, a class the
    user is not in (or one without staff), or an open request to that class already (also
    when a parallel request, such as a double click, stores it at the same moment)."""
    if not user.active or user.login_id.startswith("erased-"):
        raise TalkRefused("このアカウントは利用できなくなっているため、依頼を受け付けられません。"
                          "相談したいときは「いますぐ相談したい方へ」の窓口をご利用ください。")
    if origin not in ORIGINS:
        raise TalkRefused("依頼の画面が正しくありません。もう一度、はじめからお試しください。")
    staff = next((s for s in classes_for(user.id, course) if s.cohort.id == cohort_id), None)
    if staff is None:
        raise TalkRefused("このクラスには依頼できません（参加しているクラスではないか、担当者がいません）。"
                          "依頼は保存していません。")
    request = TalkRequest(user_id=user.id, cohort_id=staff.cohort.id, course_id=course.id, origin=origin,
                          open_slot=True, notify_status="pending" if smtp_configured() else None)
    try:
        with db.session.begin_nested():
            db.session.add(request)
    except IntegrityError:
        raise TalkRefused("すでに依頼を受け付けています。担当者が確認するまで、もうしばらくお待ちください。"
                          "同じ依頼は一度だけ届きます。") from None
    audit.record("talk.request", target_type="talk_request", target_id=request.id, cohort_id=staff.cohort.id)
    return request


def mail_text(cohort, url: str) -> tuple[str, str]:
    """Subject and body of the mail to the staff: that someone of the class asked, and where to look."""
    subject = f"【{current_app.config['ORGANISATION_NAME']}】声をかけてほしいという依頼があります"
    body = (f"クラス「{cohort.name}」の受講者から、「担当者から声をかけてほしい」という依頼がありました。\n\n"
            "依頼した方のお名前と日時は、研修システムにログインしてホーム画面で確認できます。"
            "このメールには書いていません。\n"
            f"{url}\n\n"
            "できるだけ早く、ご本人に声をかけてください。声をかけたあとは、ホーム画面から対応を記録してください。\n"
            "ご本人の様子から命の危険が迫っていると感じたときは、ためらわずに 119（救急）または 110（警察）へ連絡してください。\n")
    return subject, body


def notify(request_id: int, url: str) -> str | None:
    """Mail the class's owners once about a stored request. The row is claimed
    (pending -> sending) and committed before any SMTP call, so a retry or a parallel request
    never mails twice. Returns the final status, or None when there was nothing to send."""
    claimed = db.session.execute(update(TalkRequest).where(TalkRequest.id == request_id,
                                                           TalkRequest.notify_status == "pending")
                                 .values(notify_status="sending")).rowcount
    db.session.commit()
    if not claimed:
        return None
    request = db.session.get(TalkRequest, request_id)
    cohort = db.session.get(Cohort, request.cohort_id)
    subject, body = mail_text(cohort, url)
    owners = db.session.scalars(select(User).join(CohortOwner, CohortOwner.user_id == User.id)
                                .where(CohortOwner.cohort_id == cohort.id, User.active.is_(True))).all()
    sent = 0
    for owner in owners:
        try:
            address = normalise_email(owner.email) if owner.email else None
        except EmailAddressError:
            address = None
        if address is None:
            continue
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = formataddr((current_app.config["ORGANISATION_NAME"], current_app.config["MAIL_FROM"]))
        message["To"] = address
        message.set_content(body)
        try:
            _send(message)
            sent += 1
        except (OSError, smtplib.SMTPException, ValueError):
            current_app.logger.warning("talk request %s: the mail to one owner could not be sent", request_id)
        except Exception:  # noqa: BLE001 - the request is stored; the home page still shows it
            current_app.logger.exception("talk request %s: the mail to one owner failed", request_id)
    request.notify_status = "sent" if sent else "failed"
    db.session.commit()
    return request.notify_status


@dataclass(frozen=True)
class OpenRequest:
    """A row of the staff's home page list."""

    id: int
    name: str
    class_name: str
    created_at: dt.datetime
    origin: str


def latest_by_course(user_id: int, *, closed_within: dt.timedelta = dt.timedelta(days=30)) -> dict[str, TalkRequest]:
    """The trainee's own latest request per course: open, or closed within ``closed_within``
    (their home page says 「受け付けました」 or 「担当者が対応しました」). One query."""
    since = utcnow() - closed_within
    rows = db.session.scalars(
        select(TalkRequest).where(TalkRequest.user_id == user_id,
                                  or_(TalkRequest.open_slot.is_(True), TalkRequest.closed_at >= since))
        .order_by(TalkRequest.created_at, TalkRequest.id)).all()
    return {r.course_id: r for r in rows}


def open_for_owner(user_id: int) -> list[OpenRequest]:
    """The open requests of every class ``user_id`` owns, oldest first (one query)."""
    rows = db.session.execute(
        select(TalkRequest.id, User.display_name, Cohort.name, TalkRequest.created_at, TalkRequest.origin)
        .join(User, User.id == TalkRequest.user_id).join(Cohort, Cohort.id == TalkRequest.cohort_id)
        .join(CohortOwner, CohortOwner.cohort_id == TalkRequest.cohort_id)
        .where(CohortOwner.user_id == user_id, TalkRequest.open_slot.is_(True))
        .order_by(TalkRequest.created_at, TalkRequest.id))
    return [OpenRequest(i, name, cls, at, ORIGINS.get(origin, origin)) for i, name, cls, at, origin in rows]


def for_owner(request_id: int, user_id: int) -> TalkRequest | None:
    """The request if ``user_id`` owns its class, else None (the caller answers 404)."""
    return db.session.scalar(
        select(TalkRequest).join(CohortOwner, CohortOwner.cohort_id == TalkRequest.cohort_id)
        .where(TalkRequest.id == request_id, CohortOwner.user_id == user_id))


def follow_up(request: TalkRequest, by, on: dt.date, note: str) -> bool:
    """Record the follow-up and close the request, if it is still open (one atomic update:
    two instructors recording at once close it once). Returns whether it was closed now."""
    closed = db.session.execute(
        update(TalkRequest).where(TalkRequest.id == request.id, TalkRequest.open_slot.is_(True))
        .values(open_slot=None, closed_at=utcnow(), followed_up_on=on, followed_up_by_id=by.id,
                follow_up_note=note or None)).rowcount
    if closed:
        audit.record("talk.follow_up", target_type="talk_request", target_id=request.id,
                     cohort_id=request.cohort_id)
    return bool(closed)
