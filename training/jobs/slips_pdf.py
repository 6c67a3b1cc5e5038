"""Job kind: the ID通知書 (login slips) of a large roster as one PDF (issue 18).

350 slips take about 20 s to draw: more than SLIP_PDF_DIRECT_MAX are drawn here. The PDF holds
first-login passwords, so it follows the slips' own rules (training/teach/slips.py): it is made
once (the slips are taken only after the PDF is drawn, so a failed drawing leaves them
available), downloaded once (then erased), and never kept past the slips' 24 hours.
"""
from __future__ import annotations

from training.extensions import db
from training.jobs.kinds import JobKind, register
from training.models import Cohort, Job, SlipBatch, User

GONE = ("ID通知書はダウンロード済みか、作成から24時間を過ぎたため、もう作れません（パスワードは保存しない"
        "仕組みです）。通知書をなくした方は、クラスのページで「パスワードを再発行する」を押してください。")


def _run(job: Job, target, progress) -> None:
    from training.content import current_content
    from training.jobs.runner import JobError
    from training.site_settings import load as load_settings
    from training.teach import slips

    batch = db.session.get(SlipBatch, job.params["batch_id"])
    if batch is None:
        raise JobError(GONE)
    try:
        items = slips.peek(batch, "pdf")
    except slips.SlipsGone:
        raise JobError(GONE) from None
    cohort = db.session.get(Cohort, batch.cohort_id) if batch.cohort_id else None
    html = slips.render_html(items, site_url=job.params["site_url"], organisation=load_settings().organisation_name,
                             class_name=cohort.name if cohort else "", contacts=current_content().contacts)
    db.session.rollback()  # the slips are read; drawing needs no database
    progress.start(len(items))
    data = slips.render_pdf(html)
    try:
        slips.take(db.session.get(SlipBatch, batch.id), "pdf")  # now, once: a conditional UPDATE
        db.session.commit()
    except slips.SlipsGone:
        db.session.rollback()
        raise JobError(GONE) from None
    target.write(data)
    progress(len(items))


def _can_access(user: User, job: Job) -> bool:
    """As the direct download: the person who made the slips, while they still run the class."""
    batch = db.session.get(SlipBatch, job.params.get("batch_id"))
    if batch is None or batch.created_by_id != user.id:
        return False
    if batch.cohort_id is None or user.has_role("admin"):
        return True
    cohort = db.session.get(Cohort, batch.cohort_id)
    return cohort is not None and user.id in {o.user_id for o in cohort.owners}


def _expires(job: Job):
    """The slips' own end (24 hours after they were made)."""
    batch = db.session.get(SlipBatch, job.params.get("batch_id"))
    return batch.expires_at if batch is not None else None


KIND = register(JobKind(name="slips_pdf", label="ID通知書（PDF）", run=_run, can_access=_can_access,
                        mimetype="application/pdf", audit_action="slips.download",
                        audit_detail=lambda job: {"format": "pdf", "count": job.total_items,
                                                  "slip_batch": job.params.get("batch_id")},
                        expires_for=_expires, once=True))
