"""Job kind: sending reminders by SMTP to more than REMINDER_DIRECT_MAX people (issue 18).

The request records the rows as a direct send does (training/teach/reminders.py ``record``:
one row per batch and person, ``pending``) and starts this job; the worker sends them with
``deliver_pending`` (one claim and one commit per message, as the direct send), so the batch
key's rule holds: nobody is mailed twice, whatever is resubmitted, retried or run again after
a killed worker. A cancel stops between two messages; the rows not sent stay ``pending`` and
「続きを実行する」 (retry) sends exactly those. The reminder rows are the record of truth: the
job's summary is counted from them, not kept apart.

Params: ``scope`` ("class": the class's 未修了者 page; "records": the department page),
``batches`` ([batch key, class id, target key] per group), ``cohort_id`` / ``target`` (class)
or ``year`` (records).
"""
from __future__ import annotations

from flask import url_for
from sqlalchemy import func, select

from training import audit
from training.extensions import db
from training.jobs.kinds import JobKind, register
from training.models import Cohort, Job, Reminder, User

#: Rows listed under the summary (the class page's history has them all).
DETAILS_SHOWN = 100


def _keys(job: Job) -> list[str]:
    return [group[0] for group in job.params.get("batches", [])]


def _run(job: Job, _target, progress) -> None:
    from training.teach import reminders as reminder_mail

    keys = _keys(job)
    total = reminder_mail.pending_count(keys)
    progress.start(total)
    counts = {"sent": 0, "failed": 0, "queued": 0, "no_email": 0, "skipped": 0}
    done = 0

    def after_each():
        nonlocal done
        done += 1
        progress.result = {"sent": counts["sent"], "failed": counts["failed"]}
        progress(done, every=True)  # a cancel stops before the next message

    owner = db.session.get(User, job.owner_id)
    db.session.commit()
    try:
        for key in keys:
            reminder_mail.deliver_pending(key, counts, after_each=after_each)
    finally:
        # As a direct send is audited, once per run of the job (a cancelled run: what it sent).
        db.session.rollback()
        audit.record("reminders.job_send", actor=owner, target_type="job", target_id=job.id,
                     scope=job.params.get("scope"), batches=keys, sent=counts["sent"], failed=counts["failed"])
        db.session.commit()


def _counts(job: Job) -> dict[str, int]:
    rows = db.session.execute(select(Reminder.status, func.count()).where(Reminder.batch_key.in_(_keys(job) or ["-"]))
                              .group_by(Reminder.status)).all()
    return dict(rows)


def _summary(job: Job) -> str | None:
    counts = _counts(job)
    if not counts:
        return None
    text = (f"送信 {counts.get('sent', 0)}件・送信失敗 {counts.get('failed', 0)}件・"
            f"メールアドレスなし {counts.get('no_email', 0)}件です。")
    if counts.get("pending"):
        text += (f"送っていない{counts['pending']}件は「送信待ち」のまま記録しています。"
                 "「続きを実行する」で、その方たちにだけ送ります。")
    if counts.get("sending"):
        text += (f"{counts['sending']}件は送信の途中で処理が止まったため、届いたかどうか分かりません"
                 "（二重に届かないよう、自動ではもう一度送りません）。")
    return text


def _details(job: Job) -> list[tuple[str, str]]:
    from training.teach.reminders import STATUS_LABELS

    rows = db.session.execute(
        select(User.display_name, Reminder.email, Reminder.status, Reminder.error).join(User, User.id == Reminder.user_id)
        .where(Reminder.batch_key.in_(_keys(job) or ["-"]), Reminder.status.in_(("failed", "sending")))
        .order_by(Reminder.id).limit(DETAILS_SHOWN)).all()
    return [(f"{name}（{email or 'アドレスなし'}）", f"{STATUS_LABELS[status]}：{error or ''}".rstrip("："))
            for name, email, status, error in rows]


def _back(job: Job):
    if job.params.get("scope") == "class":
        return ("未修了者・受講のお願いに戻る",
                url_for("teach.reminders", cohort_id=job.params["cohort_id"], show=job.params.get("target")))
    return ("所属別の未修了者に戻る", url_for("records.unfinished_page", year=job.params.get("year")))


def _can_access(user: User, job: Job) -> bool:
    """Who may see those reminders today: for a class's page, its admins and the instructors who
    run it now (as the class page); for the department page, admins and the clerk who sent them
    while they are personnel (the clerk's outbox is theirs alone)."""
    if user.has_role("admin"):
        return True
    if job.params.get("scope") == "class":
        cohort = db.session.get(Cohort, job.params.get("cohort_id"))
        if cohort is None:
            return user.id == job.owner_id
        return user.has_role("instructor") and user.id in {o.user_id for o in cohort.owners}
    return user.id == job.owner_id and user.has_role("personnel")


KIND = register(JobKind(name="reminders", label="受講のお願いの送信", run=_run, can_access=_can_access,
                        mimetype="", audit_action="", file=False, summary=_summary, details=_details,
                        back=_back))
