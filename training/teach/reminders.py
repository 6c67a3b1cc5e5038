"""Reminders to trainees who are overdue or have not started: SMTP when configured,
otherwise an outbox the instructor works through. Every reminder is recorded.

Sending is at most once per person and batch. The form carries a random batch key; one row
per (batch, person) is stored first (a unique constraint: a second request with the same
key inserts nothing), each row is claimed by one request with an atomic
``pending -> sending`` update committed before its SMTP call, and the result is committed
after it. So a resubmitted form, a double click, parallel requests or a retry after a
timeout never mail anyone twice; a retry does send the rows that were never tried. A row
left in ``sending`` (the worker died during that very call) is never retried automatically:
whether that mail left is unknown, and it is shown as such.

A malformed address (stored before addresses were checked), one the server refuses, or a
header-injection attempt makes that one reminder ``failed``; the rest are sent.
"""
from __future__ import annotations

import base64
import hashlib
import re
import smtplib
from email.message import EmailMessage
from email.utils import formataddr

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from training import audit
from training.dates import format_date
from training.email_addresses import EmailAddressError, normalise_email
from training.extensions import db
from training.models import Reminder, User, utcnow

GROUPS = {"overdue": "期限を過ぎた方", "not_started": "まだ始めていない方", "in_progress": "受講中の方"}
STATUS_LABELS = {"pending": "送信待ち（処理中）", "sending": "送信中（結果不明）", "sent": "送信済み",
                 "failed": "送信失敗", "queued": "送信待ち（送信箱）", "no_email": "メールアドレスなし"}
#: What the form's hidden ``batch`` field must look like (secrets.token_urlsafe(16)).
BATCH_KEY = re.compile(r"[A-Za-z0-9_-]{16,32}")
#: Rows per INSERT: well under SQLite's limit of bound parameters.
INSERT_CHUNK = 500
BAD_ADDRESS = "メールアドレスの形式が正しくありません（送信していません）"


def smtp_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def default_message(cohort, target, due_on, url: str) -> tuple[str, str]:
    """Subject and body in Japanese (the instructor may edit both before sending). ``target`` is
    what is asked for: a course, or an assigned module (a teach.targets.Target)."""
    due = f"受講期限は {format_date(due_on)} です。" if due_on else ""
    title = target.label if hasattr(target, "label") else target.title
    minutes = target.minutes
    subject = f"【{current_app.config['ORGANISATION_NAME']}】{title}の受講のお願い"
    body = (f"{cohort.name} の受講者の皆さま\n\n"
            f"{title}（e-ラーニング、約{minutes}分）の受講をお願いします。{due}\n"
            f"途中で中断しても、次回は続きから再開できます。\n\n{url}\n\n"
            "ご不明な点は研修担当までお問い合わせください。\n"
            "※この研修では、つらい気持ちについて扱います。ご自身がつらいときは、サイト右上の"
            "「いますぐ相談したい方へ」から相談先をご覧ください。\n")
    return subject, body


def _send(message: EmailMessage) -> None:
    """One message through the configured SMTP server."""
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)


def valid_batch_key(key: str | None) -> bool:
    """True for a key the form could have carried."""
    return bool(key) and BATCH_KEY.fullmatch(key) is not None


def group_batch_key(batch_key: str, cohort_id: int, target_key: str) -> str:
    """The batch key of one (class, target) group of a form that reminds several groups at
    once (the department page): the same form gives the same keys, so a resubmission records
    nothing twice, while a person in two groups gets one reminder in each (22 characters of
    base64url, within BATCH_KEY)."""
    digest = hashlib.sha256(f"{batch_key}\x1f{cohort_id}\x1f{target_key}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:22]


def result_message(counts: dict[str, int], *, left_out: int = 0, finished: int = 0) -> str:
    """What a send did, in Japanese, for the flash message after the form."""
    message = (f"送信 {counts['sent']}件・送信失敗 {counts['failed']}件・送信待ち（送信箱） {counts['queued']}件・"
               f"メールアドレスなし {counts['no_email']}件を記録しました。")
    return message + _left_alone(counts, left_out, finished)


def job_message(pending: int, counts: dict[str, int], *, left_out: int = 0, finished: int = 0) -> str:
    """The flash message when a large send was handed to a job."""
    message = f"送信待ちのお願いが{pending}件あります。送信は画面の裏で行います（このページで進み具合が分かります）。"
    others = [f"{label} {counts[key]}件" for key, label in (("failed", "送信失敗（アドレスの形式の誤り）"),
                                                            ("no_email", "メールアドレスなし")) if counts[key]]
    if others:
        message += f"ほかに、{'・'.join(others)}を記録しました。"
    return message + _left_alone(counts, left_out, finished)


def _left_alone(counts: dict[str, int], left_out: int, finished: int) -> str:
    message = ""
    if counts["skipped"]:
        message += (f"この送信はすでに受け付けていたため、すでに記録されていた{counts['skipped']}件のお願いは"
                    "送っていません（二重送信の防止）。")
    if left_out:
        message += f"24時間以内にお願いを送った{left_out}人には送っていません。"
    if finished:
        message += f"選んだ方のうち{finished}人は修了しているため送っていません。"
    return message


def mark_sent(reminder_ids: list[int], user) -> int:
    """Mark outbox reminders as sent by other means (who and when); only rows still queued
    change, in one UPDATE, so two clicks at once mark each row once. Returns how many."""
    if not reminder_ids:
        return 0
    return db.session.execute(update(Reminder).where(Reminder.id.in_(reminder_ids), Reminder.status == "queued")
                              .values(status="sent", marked_sent_at=utcnow(), marked_sent_by_id=user.id)).rowcount


def _one_line(text: str) -> str:
    """Header text on one line: a line break in a subject or a name could start a new header."""
    return " ".join((text or "").split())


def _first_state(user, use_smtp: bool) -> tuple[str, str | None, str | None]:
    """(status, address to store, error) of a new reminder, before anything is sent."""
    if not user.email:
        return "no_email", None, None
    try:
        address = normalise_email(user.email)
    except EmailAddressError:
        return "failed", user.email, BAD_ADDRESS
    return ("pending" if use_smtp else "queued"), address, None


def _insert_new(rows: list[dict]) -> set[int]:
    """Insert the rows whose (batch, person) is not stored yet and return their user ids; the
    others are left alone, even when a parallel request stores them at the same moment
    (ON CONFLICT DO NOTHING ... RETURNING: SQLite 3.35+ and PostgreSQL)."""
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    inserted: set[int] = set()
    for start in range(0, len(rows), INSERT_CHUNK):
        inserted.update(db.session.scalars(
            insert(Reminder).values(rows[start:start + INSERT_CHUNK])
            .on_conflict_do_nothing(index_elements=["batch_key", "user_id"]).returning(Reminder.user_id)))
    return inserted


def _message(reminder: Reminder, name: str) -> EmailMessage:
    """The mail for one reminder (ValueError if a header cannot be written)."""
    message = EmailMessage()
    message["Subject"] = reminder.subject
    message["From"] = formataddr((current_app.config["ORGANISATION_NAME"], current_app.config["MAIL_FROM"]))
    message["To"] = formataddr((_one_line(name), reminder.email))
    message.set_content(reminder.body)
    return message


def _deliver(message: EmailMessage | None, problem: str | None, reminder_id: int) -> tuple[str, str | None]:
    """Send one claimed reminder's mail; (status, error) of the result. Never raises for a
    mail problem (``problem``: the mail could not even be written)."""
    if message is None:
        return "failed", problem
    try:
        _send(message)
        return "sent", None
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        # Refused recipient, server down, timeout, or a header that cannot be written.
        return "failed", str(exc)[:500]
    except Exception as exc:  # noqa: BLE001 - one odd failure must not stop the rest of the batch
        current_app.logger.exception("reminder %s could not be sent", reminder_id)
        return "failed", f"{type(exc).__name__}: {exc}"[:500]


def record(cohort, users, subject: str, body: str, sender, batch_key: str,
           target_key: str | None = None) -> tuple[dict[str, int], int]:
    """Record one reminder per user under ``batch_key`` (pending when SMTP is configured,
    otherwise queued in the outbox) and commit; nothing is sent here. Returns what this
    request recorded by status (``pending`` rows are not counted: :func:`deliver_pending`
    counts them when it sends), plus ``skipped``: people already recorded in this batch; and
    how many of this batch's rows are pending now."""
    counts = {"sent": 0, "failed": 0, "queued": 0, "no_email": 0, "skipped": 0}
    use_smtp = smtp_configured()
    subject, now = _one_line(subject)[:200], utcnow()
    ids = [user.id for user in users]
    known = set(db.session.scalars(select(Reminder.user_id).where(
        Reminder.batch_key == batch_key, Reminder.user_id.in_(ids or [-1]))))
    rows = []
    for user in users:
        if user.id in known:
            continue
        status, address, error = _first_state(user, use_smtp)
        rows.append({"batch_key": batch_key, "cohort_id": cohort.id, "user_id": user.id, "sent_by_id": sender.id,
                     "email": address, "channel": "smtp" if use_smtp else "outbox", "subject": subject,
                     "body": body, "status": status, "error": error, "created_at": now,
                     "target_key": target_key})
    inserted = _insert_new(rows) if rows else set()
    db.session.commit()
    for row in rows:
        if row["user_id"] in inserted and row["status"] in counts:
            counts[row["status"]] += 1
    counts["skipped"] = len(users) - len(inserted)
    return counts, pending_count([batch_key])


def pending_count(batch_keys: list[str]) -> int:
    """How many reminders of these batches wait to be sent (ends the read: SQLite's lock)."""
    count = db.session.scalar(select(func.count()).select_from(Reminder).where(
        Reminder.batch_key.in_(batch_keys or ["-"]), Reminder.status == "pending")) or 0
    db.session.commit()
    return count


def deliver_pending(batch_key: str, counts: dict[str, int], names: dict[int, str] | None = None,
                    after_each=None) -> None:
    """Send the batch's pending reminders, one claim and one commit per message, adding each
    result to ``counts``. ``names``: display names by user id (read from the database when
    missing). ``after_each()`` is called after each message's result is committed (the job's
    progress; it may raise to stop between two messages)."""
    pending = db.session.scalars(select(Reminder.id).where(
        Reminder.batch_key == batch_key, Reminder.status == "pending").order_by(Reminder.id)).all()
    db.session.commit()
    for reminder_id in pending:
        # Whoever turns pending into sending owns the call; a parallel request gets 0 rows.
        claimed = db.session.execute(update(Reminder).where(Reminder.id == reminder_id, Reminder.status == "pending")
                                     .values(status="sending")).rowcount
        db.session.commit()
        if not claimed:
            continue
        reminder = db.session.get(Reminder, reminder_id)
        if names is not None and reminder.user_id in names:
            name = names[reminder.user_id]
        else:
            name = db.session.scalar(select(User.display_name).where(User.id == reminder.user_id)) or ""
        message, problem = None, None
        try:
            message = _message(reminder, name)
        except ValueError as exc:  # a header that cannot be written
            problem = str(exc)[:500]
        db.session.commit()  # no transaction (on SQLite: no write lock) is held during the SMTP call
        status, error = _deliver(message, problem, reminder_id)
        db.session.execute(update(Reminder).where(Reminder.id == reminder_id).values(status=status, error=error))
        db.session.commit()
        counts[status] += 1
        if after_each is not None:
            after_each()


def send(cohort, users, subject: str, body: str, sender, batch_key: str,
         target_key: str | None = None, audit_action: str | None = "class.reminders") -> dict[str, int]:
    """Record and send (or queue) one reminder per user under ``batch_key``; returns what
    this request did, by status, plus ``skipped``: people already recorded in this batch.
    ``target_key`` (a teach.targets.Target key) is stored on each row: what it asks for.
    ``audit_action``: None when the caller records one audit entry for several sends.

    Commits as it goes (the rows first, then each claim and each result): a reminder must be
    on record before its SMTP call, so that no retry can send it again. A large send goes to
    a job instead (:func:`record`, then training/jobs/reminders.py calls :func:`deliver_pending`).
    """
    counts, _pending = record(cohort, users, subject, body, sender, batch_key, target_key)
    deliver_pending(batch_key, counts, {user.id: user.display_name for user in users})
    if audit_action:
        audit.record(audit_action, target_type="cohort", target_id=cohort.id, batch=batch_key,
                     target=target_key, **counts)
    return counts


def use_job(recipients: int) -> bool:
    """True when a send to this many people is long work: by SMTP, to more than
    REMINDER_DIRECT_MAX people (the outbox only records rows: always direct)."""
    return smtp_configured() and recipients > int(current_app.config.get("REMINDER_DIRECT_MAX", 10))
