"""Reminders to trainees who are overdue or have not started: SMTP when configured,
otherwise an outbox the instructor works through. Every reminder is recorded."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formataddr

from flask import current_app

from training import audit
from training.dates import format_date
from training.extensions import db
from training.models import Reminder

GROUPS = {"overdue": "期限を過ぎた方", "not_started": "まだ始めていない方", "in_progress": "受講中の方"}


def smtp_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def default_message(cohort, course, due_on, url: str) -> tuple[str, str]:
    """Subject and body in Japanese (the instructor may edit both before sending)."""
    due = f"受講期限は {format_date(due_on)} です。" if due_on else ""
    subject = f"【{current_app.config['ORGANISATION_NAME']}】{course.title}の受講のお願い"
    body = (f"{cohort.name} の受講者の皆さま\n\n"
            f"{course.title}（e-ラーニング、約{course.minutes}分）の受講をお願いします。{due}\n"
            f"途中で中断しても、次回は続きから再開できます。\n\n{url}\n\n"
            "ご不明な点は研修担当までお問い合わせください。\n"
            "※この研修では、つらい気持ちについて扱います。ご自身がつらいときは、サイト右上の"
            "「いますぐ相談したい方へ」から相談先をご覧ください。\n")
    return subject, body


def _send(message: EmailMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)


def send(cohort, users, subject: str, body: str, sender) -> dict[str, int]:
    """Send (or queue) one reminder per user; returns counts by status. The caller commits."""
    counts = {"sent": 0, "failed": 0, "queued": 0, "no_email": 0}
    use_smtp = smtp_configured()
    for user in users:
        reminder = Reminder(cohort_id=cohort.id, user_id=user.id, sent_by_id=sender.id, email=user.email,
                            channel="smtp" if use_smtp else "outbox", subject=subject, body=body)
        if not user.email:
            reminder.status = "no_email"
        elif not use_smtp:
            reminder.status = "queued"
        else:
            message = EmailMessage()
            message["Subject"] = subject
            message["From"] = formataddr((current_app.config["ORGANISATION_NAME"], current_app.config["MAIL_FROM"]))
            message["To"] = formataddr((user.display_name, user.email))
            message.set_content(body)
            try:
                _send(message)
                reminder.status = "sent"
            except (OSError, smtplib.SMTPException) as exc:
                reminder.status, reminder.error = "failed", str(exc)[:500]
        counts[reminder.status] += 1
        db.session.add(reminder)
    audit.record("class.reminders", target_type="cohort", target_id=cohort.id, **counts)
    return counts
