"""Job kind: the personnel page's completion export (CSV or XLSX) of more than
RECORDS_EXPORT_DIRECT_MAX rows (issue 18). Smaller exports stay a direct download
(training/records/routes.py export_page); the same code writes the file either way."""
from __future__ import annotations

import datetime as dt

from training.jobs.kinds import JobKind, register
from training.models import Job, User

#: Progress is counted every this many rows.
STEP = 500

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _run(job: Job, target, progress) -> None:
    from training.content import current_content
    from training.jobs.runner import JobError
    from training.records import export
    from training.records.routes import filters_from

    form = job.params["form"]
    fmt = form.get("format", "csv")
    try:
        filters = filters_from(form)
    except export.FilterError as exc:
        raise JobError(str(exc)) from None
    content, today = current_content(), dt.date.fromisoformat(job.params["today"])
    progress.start(export.count(filters, today))

    def counted(rows):
        for number, row in enumerate(rows, start=1):
            if number % STEP == 0:
                progress(number)
            yield row

    if fmt == "xlsx":
        export.write_xlsx(counted(export.rows(filters, content, today)), target,
                          heading=f"修了記録（{filters.describe(content)}）")
    else:
        encoding = "cp932" if fmt == "csv_cp932" else "utf-8-sig"
        if encoding == "cp932" and form.get("replace") != "1":
            problems = export.cp932_problems(export.text_rows(filters, content, today))
            if problems:
                raise JobError(f"cp932（Shift_JIS）で書けない文字を含む行が{len(problems)}件{'以上' if len(problems) >= 200 else ''}"
                               "あります。出力の画面で「〓に置き換える」を選ぶか、UTF-8 か XLSX で出力してください。")
        for chunk in export.stream_csv(counted(export.text_rows(filters, content, today)), encoding):
            target.write(chunk)
    progress(progress.total)


def _can_access(user: User, job: Job) -> bool:
    """As the export page: personnel and admins (who could make the same file themselves)."""
    return user.has_role("personnel", "admin")


def _audit_detail(job: Job) -> dict:
    """The download is audited as the direct export is: format, rows and filters."""
    form = job.params["form"]
    return {"format": form.get("format", "csv"), "rows": job.total_items,
            "filters": {k: v for k, v in form.items() if v}}


def mimetype_of(fmt: str) -> str:
    return XLSX_TYPE if fmt == "xlsx" else ("text/csv; charset=shift_jis" if fmt == "csv_cp932"
                                            else "text/csv; charset=utf-8")


KIND = register(JobKind(name="records_export", label="修了記録の出力", run=_run, can_access=_can_access,
                        mimetype="application/octet-stream", audit_action="records.export",
                        audit_detail=_audit_detail, mimetype_for=lambda job: mimetype_of(job.params["form"].get("format"))))
