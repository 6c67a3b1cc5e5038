"""The check-in 「いまの気持ちは？」: one tap, optional, never blocking.

The form sits on the page it follows (a scenario's ending, the section it is declared on); each
level is a submit button. A low answer (see checkins.LOW) shows the help lines for the
trainee's audience, a pause back to the course page and the offer of a talk, with the way on
kept; any other answer thanks and goes on. Answering at a section's end also marks the section
read, as its 「次へ」 does. Levels are never audited or logged.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request
from flask_login import current_user

from training.auth.access import roles_required
from training.extensions import db
from training.learn import checkins
from training.learn.progress import course_progress, load_records
from training.learn.routes import after_section_url, bp, load_course, load_section, mark_viewed, step_url

BAD = "この回答は受け付けられませんでした。ページを読み込み直して、もう一度お選びください。"


@bp.route("/<course_id>/checkin", methods=["POST"])
@roles_required("trainee")
def checkin(course_id):
    """Store the answer at one place of the course (replacing an earlier one there)."""
    content, course = load_course(course_id)
    try:
        place, level = checkins.read(request.form, course, content)
    except checkins.BadCheckIn:
        abort(400, description=BAD)
    checkins.save(current_user.id, course, place, level)
    if place.kind == "scenario":
        progress = course_progress(course, content, load_records(current_user.id, course.id))
        go_on = step_url(course, progress.next_step)
    else:
        module, sections, index = load_section(content, course, place.module_id, place.section_id)
        mark_viewed(content, course, module, place.section_id)
        go_on = after_section_url(course, module, sections, index)
    db.session.commit()
    youth = course.audience == "high_school"
    if level in checkins.LOW:
        return render_template("learn/checkin_done.html", course=course, next_url=go_on, youth=youth)
    flash("答えてくれて、ありがとうございます。" if youth else "ご回答ありがとうございました。", "info")
    return redirect(go_on)
