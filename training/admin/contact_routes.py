"""Administrator pages for the help-now contacts and the directory: edit, preview, verify, history.

Added to the admin blueprint (training/admin/routes.py). The content files stay the default;
every save and every 「確認しました」 is kept (training/contact_edits.py) and audited.
"""
from __future__ import annotations

from dataclasses import replace

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from training import clock, contact_edits
from training.admin.contact_forms import ContactForm, DirectoryForm, VerifyForm
from training.admin.routes import bp
from training.auth.access import roles_required
from training.content import current_content
from training.content.hours import HoursError
from training.extensions import db
from training.main.help_lines import line_now

#: Directory entries per page on the admin list.
DIRECTORY_PAGE = 50


def _fresh() -> contact_edits.Effective:
    """The state read now (admin pages show what is stored, not a cached copy)."""
    return contact_edits.read(db.session, current_content())


def _state(contact_id: str) -> contact_edits.LineState:
    state = _fresh().line(contact_id)
    if state is None:
        abort(404)
    return state


def _preview(values: dict, contact_id: str, found_on, verified_on):
    """The line as the help panel shows it now, from the submitted values (nothing saved)."""
    try:
        contact = contact_edits.contact_from(values, contact_id, found_on)
    except (HoursError, TypeError, ValueError):
        return None
    return line_now(replace(contact, verified_on=verified_on), clock.now())


def _commit() -> bool:
    """Commit the ward's change and drop this process's cache; False when another admin's save
    of the same entry came first (the unique row): nothing saved, a message to try again."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        flash("ほかの管理者が同時に変更を保存しました。最新の内容を確認して、もう一度保存してください。", "error")
        return False
    contact_edits.invalidate()
    return True


@bp.route("/contacts")
@roles_required("admin")
def contacts():
    """Every help-now line with its state: 未確認 / 確認済み (date) / 要再確認."""
    state = _fresh()
    return render_template("admin/contacts.html", lines=state.lines, today=clock.now().date(),
                           status_labels=contact_edits.STATUS_LABELS, kind_labels=contact_edits.KIND_LABELS)


def _save_contact_form(form: ContactForm, state: contact_edits.LineState | None):
    """Preview or save the submitted form; returns a response, or None to show the form again."""
    values = form.values()
    ok = form.check()
    if ok and request.form.get("action") == "preview":
        return None
    if not ok:
        flash("入力内容を確認してください。保存していません。", "error")
        return None
    if state is None:
        contact_id = contact_edits.add_contact(db.session, current_content(), values, current_user,
                                               clock.now().date())
        if not _commit():
            return redirect(url_for("admin.new_contact"))
        flash("相談先を追加しました。公式ページで確認したら「確認しました」を押してください。", "info")
        return redirect(url_for("admin.edit_contact", contact_id=contact_id))
    changes = contact_edits.save_contact(db.session, current_content(), state.contact.id, values,
                                         bool(form.hidden.data), current_user)
    if not _commit():
        return redirect(url_for("admin.edit_contact", contact_id=state.contact.id))
    flash("変更を保存しました。" if changes else "変更はありませんでした。", "info")
    return redirect(url_for("admin.edit_contact", contact_id=state.contact.id))


@bp.route("/contacts/new", methods=["GET", "POST"])
@roles_required("admin")
def new_contact():
    """Add a line that is not in the content file."""
    form = ContactForm()
    preview = None
    if request.method == "GET":
        form.order.data = 1000
        form.audiences.data = ["general"]
    else:
        response = _save_contact_form(form, None)
        if response is not None:
            return response
        if not any(f.errors for f in form):
            preview = _preview(form.values(), "new", clock.now().date(), None)
    return render_template("admin/contact_edit.html", form=form, state=None, preview=preview,
                           verify_form=None)


@bp.route("/contacts/<contact_id>", methods=["GET", "POST"])
@roles_required("admin")
def edit_contact(contact_id: str):
    """Edit one line (with a preview as the help panel shows it) and record a verification."""
    state = _state(contact_id)
    form = ContactForm()
    preview = None
    if request.method == "GET":
        form.fill(contact_edits.contact_values(state.contact), state.hidden)
    else:
        response = _save_contact_form(form, state)
        if response is not None:
            return response
        if not any(f.errors for f in form):
            preview = _preview(form.values(), contact_id, state.contact.found_on, state.contact.verified_on)
    verify_form = VerifyForm(formdata=None, source_url=state.contact.source_url)
    return render_template("admin/contact_edit.html", form=form, state=state, preview=preview,
                           verify_form=verify_form, today=clock.now().date(),
                           status_labels=contact_edits.STATUS_LABELS)


@bp.route("/contacts/<contact_id>/verify", methods=["POST"])
@roles_required("admin")
def verify_contact(contact_id: str):
    """「確認しました」: the line was checked against this source today."""
    state = _state(contact_id)
    form = VerifyForm()
    if not form.check():
        form_edit = ContactForm(formdata=None)
        form_edit.fill(contact_edits.contact_values(state.contact), state.hidden)
        flash("確認したページのURLを確認してください。記録していません。", "error")
        return render_template("admin/contact_edit.html", form=form_edit, state=state, preview=None,
                               verify_form=form, today=clock.now().date(),
                               status_labels=contact_edits.STATUS_LABELS), 400
    contact_edits.verify(db.session, current_content(), contact_id, form.source_url.data.strip(),
                         (form.note.data or "").strip(), current_user)
    _commit()
    flash(f"「{state.contact.name}」を確認済みにしました。", "info")
    return redirect(url_for("admin.contacts"))


@bp.route("/contacts/<contact_id>/history")
@roles_required("admin")
def contact_history(contact_id: str):
    """Every saved change (old -> new) and every verification of one line."""
    state = _state(contact_id)
    return render_template("admin/contact_history.html", title=state.contact.name, kind="contact",
                           events=contact_edits.history(db.session, "contact", contact_id),
                           labels=contact_edits.CONTACT_FIELDS,
                           back=url_for("admin.edit_contact", contact_id=contact_id))


@bp.route("/directory")
@roles_required("admin")
def directory():
    """The referral directory (file plus the ward's edits), searchable."""
    query = (request.args.get("q") or "").strip()
    entries = _fresh()
    found = [e for e in entries.directory
             if not query or query in e.name or query in e.department or query in e.description]
    return render_template("admin/directory.html", entries=found[:DIRECTORY_PAGE], total=len(found),
                           query=query, edited=entries.directory_edited, page_size=DIRECTORY_PAGE)


@bp.route("/directory/<entry_id>", methods=["GET", "POST"])
@roles_required("admin")
def edit_directory(entry_id: str):
    """Edit one directory entry, with a preview."""
    entry = _fresh().entry(entry_id)
    if entry is None:
        abort(404)
    form = DirectoryForm()
    preview = None
    if request.method == "GET":
        form.fill(contact_edits.directory_values(entry))
    elif form.check():
        if request.form.get("action") == "preview":
            preview = contact_edits.directory_from(form.values(), entry)
        else:
            changes = contact_edits.save_directory(db.session, current_content(), entry_id, form.values(),
                                                   current_user)
            if not _commit():
                return redirect(url_for("admin.edit_directory", entry_id=entry_id))
            flash("変更を保存しました。" if changes else "変更はありませんでした。", "info")
            return redirect(url_for("admin.edit_directory", entry_id=entry_id))
    else:
        flash("入力内容を確認してください。保存していません。", "error")
    return render_template("admin/directory_edit.html", form=form, entry=entry, preview=preview)


@bp.route("/directory/<entry_id>/history")
@roles_required("admin")
def directory_history(entry_id: str):
    entry = _fresh().entry(entry_id)
    if entry is None:
        abort(404)
    return render_template("admin/contact_history.html", title=entry.name, kind="directory",
                           events=contact_edits.history(db.session, "directory", entry_id),
                           labels=contact_edits.DIRECTORY_FIELDS,
                           back=url_for("admin.edit_directory", entry_id=entry_id))


@bp.app_template_filter("history_value")
def history_value(value) -> str:
    """A stored field value as the history page shows it."""
    if value is None:
        return "（なし）"
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, list):
        return "、".join(str(v) for v in value) if value else "（空欄）"
    return str(value) if str(value) != "" else "（空欄）"
