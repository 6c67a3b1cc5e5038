"""Instructors find the members of their own classes and open a member's history.

Only members of classes the instructor owns are found or shown (anyone else: 404, no hint
that the person exists); admins search the members of every class.
"""
from __future__ import annotations

from flask import render_template, request, url_for
from flask_login import current_user

from training.auth.access import roles_required
from training.records import search as people_search
from training.teach.routes import bp


def _instructor_scope() -> int | None:
    """The owner whose classes bound the search: the user, unless they are an admin."""
    return None if current_user.has_role("admin") else current_user.id


@bp.route("/people")
@roles_required("instructor", "admin")
def people():
    query = request.args.get("q", "").strip()
    found = people_search.Found([], False)
    if query:
        scope = _instructor_scope()
        if scope is None:
            found = people_search.search(query, trainees_only=False, in_any_cohort=True)
        else:
            found = people_search.search(query, within_cohorts_of=scope)
    return render_template("records/people.html", query=query, found=found, person_endpoint="teach.person",
                           search_endpoint="teach.people", heading="受講者の検索",
                           intro="担当しているクラスの受講者から探します。",
                           max_length=people_search.MAX_QUERY_LENGTH)


@bp.route("/people/<int:user_id>")
@roles_required("instructor", "admin")
def person(user_id: int):
    scope = _instructor_scope()
    if scope is None:
        user = people_search.load_person(user_id, in_any_cohort=True)
    else:
        user = people_search.load_person(user_id, instructor_id=scope)
    return render_template("records/person.html", history=people_search.history(user, instructor_id=scope),
                           for_personnel=False, back=url_for("teach.people"))
