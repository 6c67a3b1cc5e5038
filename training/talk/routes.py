"""Requests to talk: the trainee's consent page and request, the staff's follow-up.

The trainee's pages are under /talk/<course_id>/<origin> (origin: checkin or distress, where
the offer was made). The follow-up pages answer 404 to anyone who does not own the request's
class, admins included: a request is for the class's own staff.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from training.auth.access import roles_required
from training.content import current_content
from training.dates import today_jst
from training.extensions import db
from training.integers import parse_int
from training.learn.routes import load_course
from training.models import Cohort, User
from training.talk import requests
from training.talk.forms import AskForm, FollowUpForm

bp = Blueprint("talk", __name__, url_prefix="/talk")


@bp.app_template_global()
def talk_offer_state(course_id: str):
    """The offer block's state for the signed-in trainee (templates/talk/_offer.html), or None."""
    course = current_content().course(course_id)
    if course is None or not current_user.is_authenticated or not current_user.has_role("trainee"):
        return None
    return requests.offer_for(current_user.id, course)


@bp.route("/<course_id>/<origin>", methods=["GET", "POST"])
@roles_required("trainee")
def ask(course_id, origin):
    """The consent text (who will see the request, what they see, not an emergency line) and the confirmation."""
    if origin not in requests.ORIGINS:
        abort(404)
    _content, course = load_course(course_id)
    form = AskForm()
    if form.validate_on_submit():
        try:
            created = requests.ask(current_user, course, parse_int(form.cohort_id.data, minimum=1), origin)
        except requests.TalkRefused as refused:
            db.session.rollback()
            flash(str(refused), "error")
            return redirect(url_for("talk.ask", course_id=course.id, origin=origin))
        db.session.commit()
        requests.notify(created.id, url_for("main.home", _external=True))
        flash("依頼を受け付けました。", "info")
        return redirect(url_for("talk.ask", course_id=course.id, origin=origin))
    offer = requests.offer_for(current_user.id, course)
    return render_template("talk/ask.html", course=course, origin=origin, offer=offer, form=form)


def _owned(request_id: int):
    found = requests.for_owner(request_id, current_user.id)
    if found is None:
        abort(404, description="この依頼は見つかりません（ほかのクラスの依頼か、保存期間が過ぎて削除されました）。")
    return found


@bp.route("/requests/<int:request_id>", methods=["GET", "POST"])
@roles_required("instructor", "admin")
def follow_up(request_id):
    """One request of the owner's class: who, class, when; the follow-up form while it is open."""
    found = _owned(request_id)
    form = FollowUpForm()
    if found.open_slot and form.validate_on_submit():
        if requests.follow_up(found, current_user, form.followed_up_on.data, (form.note.data or "").strip()):
            db.session.commit()
            flash("対応を記録しました。この依頼は対応済みになりました。", "info")
            return redirect(url_for("main.home"))
        db.session.rollback()
        flash("この依頼は、ほかの担当者がすでに対応を記録しています。記録は変更していません。", "error")
        return redirect(url_for("talk.follow_up", request_id=found.id))
    if not found.open_slot and form.is_submitted():
        flash("この依頼はすでに対応済みです。記録は変更していません。", "error")
        return redirect(url_for("talk.follow_up", request_id=found.id))
    if not form.is_submitted():
        form.followed_up_on.data = today_jst()
    return render_template("talk/follow_up.html", item=found, form=form,
                           person=db.session.get(User, found.user_id), cohort=db.session.get(Cohort, found.cohort_id),
                           by=db.session.get(User, found.followed_up_by_id) if found.followed_up_by_id else None,
                           origins=requests.ORIGINS)
