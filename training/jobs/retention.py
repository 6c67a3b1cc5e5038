"""Job kind: a retention run started from /admin/retention (issue 18): the trainees past the
retention period lose their personal data (training/records/retention.py), ``STEP`` people per
transaction, with progress (people erased n of m). The cron's ``training retention`` stays
inline.

Params: ``years`` (the setting when the admin confirmed) and ``as_of`` (the moment of the
click, ISO): who is due is asked again when the job runs, against that moment, so someone who
signed in since is spared and nobody who became due later is included. A cancel stops
between two steps; the people already erased stay erased (it cannot be undone) and
「続きを実行する」 erases the rest. Audited as the CLI's run (``retention.erase`` with ``users``),
by whom and ``via: job``: one entry per step of ``STEP`` people, in the step's own transaction.
"""
from __future__ import annotations

import datetime as dt

from flask import url_for
from sqlalchemy import select

from training import audit
from training.extensions import db
from training.jobs.kinds import JobKind, register
from training.models import AuditEntry, Job, User

#: People erased per transaction (and per progress step and audit entry).
STEP = 50


def _run(job: Job, _target, progress) -> None:
    from training.records import retention

    years, as_of = int(job.params["years"]), dt.datetime.fromisoformat(job.params["as_of"])
    ids = retention.due_ids(years, as_of)
    owner = db.session.get(User, job.owner_id)
    db.session.commit()
    progress.start(len(ids))
    erased = 0
    for start in range(0, len(ids), STEP):
        users = list(db.session.scalars(select(User).where(User.id.in_(ids[start:start + STEP]))))
        count = retention.erase_people(users)
        # Audited in the same transaction as the erasure: a worker killed between two steps
        # leaves no erasure without its line.
        audit.record("retention.erase", actor=owner, target_type="job", target_id=job.id, users=count,
                     years=years, via="job")
        db.session.commit()
        erased += count
        progress.result = {"erased": erased, "due": len(ids)}
        progress(erased, every=True)  # a cancel stops before the next step


def _summary(job: Job) -> str | None:
    """Counted from the job's audit entries (every run, a killed one included) and who is still
    due at the job's moment."""
    from training.records import retention

    erased = sum(int(e.detail.get("users", 0)) for e in db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "retention.erase", AuditEntry.target_type == "job", AuditEntry.target_id == str(job.id))))
    left = len(retention.due_ids(int(job.params["years"]), dt.datetime.fromisoformat(job.params["as_of"])))
    text = f"{erased}人の個人情報を削除しました（修了の件数は匿名で残しています）。"
    if left:
        text += f"対象のうち、{left}人はまだ削除していません。「続きを実行する」で削除できます。"
    return text


def _can_access(user: User, job: Job) -> bool:
    return user.has_role("admin")


KIND = register(JobKind(name="retention", label="保存期間を過ぎた個人情報の削除", run=_run, can_access=_can_access,
                        mimetype="", audit_action="", file=False, summary=_summary,
                        back=lambda job: ("個人情報の削除（保存期間）に戻る", url_for("admin.retention_page"))))
