"""Administrator pages: users, roles, deactivation, audit log, settings (contacts: contact_routes.py)."""
from __future__ import annotations

import base64
import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from training.admin import users as user_admin
from wtforms.fields.choices import SelectChoice

from training import audit, clock, site_settings
from training.admin.forms import ConfirmForm, PasswordResetForm, SiteSettingsForm, UserCreateForm, UserEditForm
from training.auth import accounts
from training.auth.access import roles_required
from training.database import writes_on_get
from training.dates import format_datetime
from training.spreadsheet import csv_bytes
from training.extensions import db
from training.integers import query_int
from training.models import User

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _load_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users")
@roles_required("admin")
def users():
    """List and search users."""
    query = request.args.get("q", "")
    page = query_int("page", 1)
    pagination = user_admin.search_users(query, page=page)
    return render_template("admin/users.html", pagination=pagination, query=query)


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required("admin")
def create_user():
    """Create a user with roles, audience and department."""
    form = UserCreateForm()
    if request.method == "GET":
        form.roles.data = ["trainee"]
    if form.validate_on_submit():
        data = accounts.NewUser(
            login_id=form.login_id.data, display_name=form.display_name.data,
            password=form.password.data, roles=tuple(form.roles.data),
            audience=form.audience.data or None, department=form.department.data,
            employee_no=(form.employee_no.data or "").strip() or None, email=form.email.data,
            name_kana=form.name_kana.data, must_change_password=True,
        )
        try:
            user = accounts.create_user(data)
        except accounts.AccountError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"利用者「{user.display_name}」を作成しました。初回ログイン時にパスワード変更を求めます。", "info")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/user_new.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
def edit_user(user_id: int):
    """Edit a user's profile and roles."""
    user = _load_user(user_id)
    form = UserEditForm(obj=user)
    if request.method == "GET":
        form.roles.data = sorted(user.roles)
        form.audience.data = user.audience or ""
    if form.validate_on_submit():
        roles = set(form.roles.data)
        if user.id == current_user.id and "admin" not in roles:
            flash("自分自身の管理者権限は外せません（ほかの管理者に依頼してください）。", "error")
        else:
            try:
                changed = user_admin.update_profile(
                    user, display_name=form.display_name.data, name_kana=form.name_kana.data,
                    email=form.email.data, audience=form.audience.data,
                    department=form.department.data, employee_no=form.employee_no.data,
                )
                roles_changed = accounts.update_roles(user, roles)
            except accounts.AccountError as exc:
                db.session.rollback()
                flash(str(exc), "error")
            else:
                db.session.commit()
                flash("変更を保存しました。" if (changed or roles_changed) else "変更はありませんでした。", "info")
                return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/user_edit.html", user=user, form=form,
                           reset_form=PasswordResetForm(), confirm_form=ConfirmForm())


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@roles_required("admin")
def set_active(user_id: int):
    """Deactivate (ends the user's sessions at once) or reactivate."""
    user = _load_user(user_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if request.form.get("active") not in ("0", "1"):
        abort(400)  # the two buttons send 0 or 1; anything else must not deactivate by default
    activate = request.form.get("active") == "1"
    if user.id == current_user.id and not activate:
        flash("自分自身は無効にできません。", "error")
    elif accounts.set_active(user, activate):
        db.session.commit()
        flash("利用者を有効にしました。" if activate else "利用者を無効にしました。ログイン中のセッションも終了しました。", "info")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@roles_required("admin")
def reset_password(user_id: int):
    """Set a temporary password; the user must change it at the next sign-in."""
    user = _load_user(user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            accounts.set_password_by_admin(user, form.password.data)
        except accounts.AccountError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash("仮パスワードを設定しました。次回ログイン時に変更を求めます。", "info")
    else:
        flash("仮パスワードを入力してください。", "error")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/audit")
@roles_required("admin")
def audit_log():
    """The newest audit entries, filterable by action prefix."""
    action = request.args.get("action", "")
    return render_template("admin/audit.html", rows=user_admin.recent_audit(action=action), action=action)


@bp.route("/audit.csv")
@roles_required("admin")
@writes_on_get
def audit_csv():
    """The audit log (up to 100,000 newest entries, optionally filtered) as CSV for Excel."""
    action = request.args.get("action", "")
    rows = user_admin.recent_audit(limit=100_000, action=action)
    data = csv_bytes(["日時", "操作", "実行者", "対象", "接続元", "詳細"],
                     [[format_datetime(e.at), e.action, actor.login_id if actor else "",
                       f"{e.target_type or ''} {e.target_id or ''}".strip(), e.ip_address or "",
                       json.dumps(e.detail, ensure_ascii=False)] for e, actor in rows])
    audit.record("audit.export", rows=len(rows), action_filter=action)
    db.session.commit()
    response = Response(data, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="audit-log-{clock.file_stamp()}.csv"'
    return response


SEAL_MAX_BYTES = 300 * 1024
SEAL_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def seal_data_uri(upload) -> str:
    """The uploaded seal as a data: URI, after checking its type by content and its size."""
    data = upload.read(SEAL_MAX_BYTES + 1)
    if len(data) > SEAL_MAX_BYTES:
        raise ValueError("公印の画像は300KB以下にしてください。")
    mime = next((m for magic, m in SEAL_TYPES.items() if data.startswith(magic)), None)
    if mime is None:
        raise ValueError("公印の画像は PNG または JPEG のファイルを選んでください。")
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


@bp.route("/settings", methods=["GET", "POST"])
@roles_required("admin")
def settings():
    """Organisation name, certificate signatory, seal image, date style (audited)."""
    current = site_settings.load()
    form = SiteSettingsForm(obj=current)
    form.date_style.choices = [SelectChoice(k, v) for k, v in site_settings.DATE_STYLES.items()]
    if form.validate_on_submit():
        seal = current.seal_data_uri
        try:
            if form.remove_seal.data:
                seal = ""
            elif form.seal.data and getattr(form.seal.data, "filename", ""):
                seal = seal_data_uri(form.seal.data)
        except ValueError as exc:
            form.seal.errors = [str(exc)]
        else:
            changed = site_settings.save(
                organisation_name=form.organisation_name.data.strip(), issuer_title=form.issuer_title.data.strip(),
                issuer_name=(form.issuer_name.data or "").strip(), date_style=form.date_style.data,
                seal_data_uri=seal, yearly_target=form.yearly_target.data,
                retention_years=form.retention_years.data or 0)
            db.session.commit()
            flash("設定を保存しました。" if changed else "変更はありませんでした。", "info")
            return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form, current=current)
