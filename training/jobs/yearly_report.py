"""Job kind: the yearly report (年次報告) of a fiscal year as PDF or XLSX (issue 18).

The report's figures are read and the file is drawn in the worker: a year of a large ward (many
departments and sessions, the PDF's fonts) is a few seconds of work, not a request's. Who may see
it: personnel and admins, as the report page (they could make the same file themselves).
"""
from __future__ import annotations

import io

from training.extensions import db
from training.jobs.kinds import JobKind, register
from training.models import Job, User

FORMATS = {"pdf": "application/pdf",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _run(job: Job, target, progress) -> None:
    from training.content import current_content
    from training.records import yearly_report
    from training.site_settings import load as load_settings

    progress.start(1)  # one file
    settings = load_settings()
    report = yearly_report.build(job.params["year"], settings.yearly_target, current_content(),
                                 organisation=settings.organisation_name)
    db.session.rollback()  # the figures are read; drawing the file needs no database
    if job.params["format"] == "pdf":
        target.write(yearly_report.write_pdf(report))
    else:
        buffer = io.BytesIO()
        yearly_report.write_xlsx(report, buffer)
        target.write(buffer.getvalue())
    progress(1)


def _can_access(user: User, job: Job) -> bool:
    return user.has_role("personnel", "admin")


KIND = register(JobKind(name="yearly_report", label="年次報告", run=_run, can_access=_can_access,
                        mimetype="application/octet-stream", audit_action="records.yearly_report",
                        audit_detail=lambda job: {"format": job.params["format"], "fiscal_year": job.params["year"]},
                        mimetype_for=lambda job: FORMATS[job.params["format"]]))
