"""Job kind: every current certificate of a class's members, as one ZIP (issue 18).

A class of more than CERTIFICATE_ZIP_DIRECT_MAX certificates is made here, in the worker;
smaller ones stay a direct download (training/teach/routes.py certificates_zip).
"""
from __future__ import annotations

from training.certificates.service import certificate_data, file_name, stream_zip
from training.extensions import db
from training.jobs.kinds import JobKind, register
from training.models import Cohort, Job, User


def _run(job: Job, target, progress) -> None:
    from training.jobs.runner import JobError
    from training.site_settings import load as load_settings
    from training.teach.routes import class_certificates

    cohort = db.session.get(Cohort, job.params["cohort_id"])
    if cohort is None:
        raise JobError("クラスが削除されたため、修了証のZIPを作れませんでした。")
    settings = load_settings()
    items = [(file_name(c), certificate_data(c, settings)) for c in class_certificates(cohort)]
    db.session.rollback()  # the facts are read; the rendering needs no database
    progress.start(len(items))
    for number, chunk in enumerate(stream_zip(items), start=1):
        target.write(chunk)
        progress(min(number, len(items)))  # one chunk per certificate, then the ZIP's directory


def _can_access(user: User, job: Job) -> bool:
    """As the direct download: admins, and the people who run the class (today, not when started)."""
    cohort = db.session.get(Cohort, job.params.get("cohort_id"))
    if cohort is None:
        return user.id == job.owner_id  # the failed job of a deleted class stays visible to its maker
    return user.has_role("admin") or (user.has_role("instructor") and user.id in {o.user_id for o in cohort.owners})


KIND = register(JobKind(name="certificate_zip", label="修了証のZIP（クラス）", run=_run, can_access=_can_access,
                        mimetype="application/zip", audit_action="class.certificates_zip"))
