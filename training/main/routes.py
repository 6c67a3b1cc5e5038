"""Home and the public help page."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from training.auth.access import roles_required
from training.certificates.service import current_certificates
from training.dates import today_jst
from training.learn.enrolment import available_courses
from training.learn.progress import course_progress, load_records
from training.content import current_content
from training.extensions import db
from training.models import Cohort, CohortMember
from training.talk.requests import latest_by_course, open_for_owner

bp = Blueprint("main", __name__)


@bp.route("/")
@roles_required()
def home():
    """The signed-in user's start page: who they are and their classes."""
    cohorts = db.session.scalars(
        select(Cohort).join(CohortMember).where(CohortMember.user_id == current_user.id)
        .order_by(Cohort.fiscal_year.desc(), Cohort.name)
    ).all()
    courses, certificates, my_talk_requests = [], {}, {}
    if current_user.has_role("trainee"):
        my_talk_requests = latest_by_course(current_user.id)
        # The certificate of each course's latest completion (a refresher adds one per completion).
        certificates = {c.course_id: c for c in sorted(current_certificates([current_user.id]),
                                                        key=lambda c: (c.completed_on, c.id))}
        content = current_content()
        records = load_records(current_user.id)
        courses = []
        for item in available_courses(current_user, content):
            progress = course_progress(item.course, content, records)
            courses.append((item, progress, {m.module.id: m for m in progress.modules}))
    today = today_jst()
    # Requests to talk of the classes this user owns (the home page is their channel, mail or not).
    talk_requests = open_for_owner(current_user.id) if current_user.has_role("instructor", "admin") else []
    return render_template("main/home.html", cohorts=cohorts, courses=courses, today=today,
                           talk_requests=talk_requests, my_talk_requests=my_talk_requests,
                           certificates=certificates, refresher_due={
                               course_id: c.valid_until is not None and c.valid_until <= today + dt.timedelta(days=60)
                               for course_id, c in certificates.items()})


@bp.route("/help")
def help_now():
    """いますぐ相談したい方へ: public, no sign-in, linked from every page."""
    return render_template("main/help.html")  # help_contacts and help_lines: the layout context
