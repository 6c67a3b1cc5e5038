"""Certificate downloads, public verification, and certificate administration."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from training.audit import client_address
from training.auth import limits
from training.auth.access import roles_required
from training.certificates import issue as issuing
from training.certificates.codes import mask_name, normalise_code
from training.certificates.render import render_pdf
from training.certificates.service import can_view, certificate_data, file_name
from training.database import writes_on_get
from training.dates import today_jst
from training.extensions import db
from training.models import AUDIENCES, Certificate, User
from training.site_settings import load as load_settings
from training.text_input import too_long

bp = Blueprint("certificates", __name__)

#: Certificate look-ups per address (counted in the database: training.auth.limits).
VERIFY_LIMIT = "30 per minute"


def pdf_response(data: bytes, name: str) -> Response:
    from urllib.parse import quote

    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"certificate.pdf\"; filename*=UTF-8''{quote(name)}")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/certificates/<int:certificate_id>.pdf")
@roles_required()
def download(certificate_id: int):
    """The PDF: one's own, or one the viewer is responsible for. Others: 404, not 403."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not can_view(current_user, certificate):
        abort(404)
    pdf = render_pdf(certificate_data(certificate, load_settings()))
    return pdf_response(pdf, file_name(certificate))


@bp.route("/verify")
def verify_form():
    """A form to type a code (the QR code links straight to /verify/<code>). Not limited: it
    looks nothing up, and the page it redirects to counts the look-up."""
    typed = request.args.get("code")
    if typed is None:
        return render_template("certificates/verify_form.html")
    code = normalise_code(typed)
    if code is None:
        return render_template("certificates/verify_result.html", found=None), 404
    return redirect(url_for("certificates.verify", code=code))


@bp.route("/verify/<code>")
@writes_on_get  # the look-up is counted first, in a write transaction
def verify(code: str):
    """有効 / 取消 / 期限切れ, course, date, the name partly masked. Unknown and malformed
    codes get the same neutral page. Every look-up counts toward VERIFY_LIMIT per address."""
    limits.reserve(limits.Check("verify", client_address() or "", VERIFY_LIMIT))
    normal = normalise_code(code)
    certificate = None
    if normal is not None:
        certificate = db.session.scalar(select(Certificate).where(Certificate.verification_code == normal))
    if certificate is None:
        return render_template("certificates/verify_result.html", found=None), 404
    if normal != code:
        return redirect(url_for("certificates.verify", code=normal))
    state = issuing.state(certificate, today_jst())
    return render_template("certificates/verify_result.html", found=certificate, state=state,
                           state_label=issuing.STATE_LABELS[state], masked_name=mask_name(certificate.recipient_name),
                           audience_label=AUDIENCES.get(certificate.audience, ""), settings=load_settings())


@bp.route("/admin/certificates")
@roles_required("admin", "personnel")
def admin_list():
    """Search certificates by serial, name or verification code."""
    query = request.args.get("q", "").strip()
    stmt = select(Certificate, User).join(User, User.id == Certificate.user_id).order_by(Certificate.issued_at.desc())
    if query:
        like = f"%{query}%"
        stmt = stmt.where(or_(Certificate.serial.like(like), Certificate.recipient_name.like(like),
                              User.display_name.like(like), User.employee_no.like(like),
                              Certificate.verification_code == (normalise_code(query) or "")))
    rows = db.session.execute(stmt.limit(200)).all()
    today = today_jst()
    return render_template("certificates/admin_list.html", rows=rows, query=query,
                           states={c.id: issuing.STATE_LABELS[issuing.state(c, today)] for c, _ in rows})


@bp.route("/admin/certificates/<int:certificate_id>")
@roles_required("admin", "personnel")
def admin_detail(certificate_id: int):
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        abort(404)
    user = db.session.get(User, certificate.user_id)
    today = today_jst()
    revisions = issuing.history(certificate)
    return render_template("certificates/admin_detail.html", certificate=certificate, user=user,
                           revisions=revisions, labels={c.id: issuing.STATE_LABELS[issuing.state(c, today)]
                                                        for c in revisions},
                           audience_label=AUDIENCES.get(certificate.audience, ""))


#: A revocation or reissue reason is a sentence or two (kept in TEXT and the audit log).
REASON_MAX_LENGTH = 500


def _reason_problem(reason: str) -> str | None:
    """The Japanese message for a reason too long to keep, else None."""
    problem = too_long(reason.strip(), REASON_MAX_LENGTH)
    return f"理由は{problem}" if problem else None


@bp.route("/admin/certificates/<int:certificate_id>/revoke", methods=["POST"])
@roles_required("admin")
def admin_revoke(certificate_id: int):
    """Revoke with a reason (audited)."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        abort(404)
    problem = _reason_problem(request.form.get("reason", ""))
    if problem:
        flash(problem, "error")
        return redirect(url_for("certificates.admin_detail", certificate_id=certificate.id))
    try:
        issuing.revoke(certificate, request.form.get("reason", ""), current_user)
    except issuing.CertificateError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"修了証 {certificate.serial} を取り消しました。", "info")
    return redirect(url_for("certificates.admin_detail", certificate_id=certificate.id))


@bp.route("/admin/certificates/<int:certificate_id>/reissue", methods=["POST"])
@roles_required("admin", "personnel")
def admin_reissue(certificate_id: int):
    """Reissue under the same serial with the person's current name (after a name change)."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        abort(404)
    user = db.session.get(User, certificate.user_id)
    problem = _reason_problem(request.form.get("reason", ""))
    if problem:
        flash(problem, "error")
        return redirect(url_for("certificates.admin_detail", certificate_id=certificate.id))
    reason = request.form.get("reason", "").strip() or "氏名の変更"
    try:
        new = issuing.reissue(certificate, user, reason)
    except issuing.CertificateError as exc:
        flash(str(exc), "error")
        return redirect(url_for("certificates.admin_detail", certificate_id=certificate.id))
    db.session.commit()
    flash(f"修了証を再発行しました（{new.serial}）。", "info")
    return redirect(url_for("certificates.admin_detail", certificate_id=new.id))
