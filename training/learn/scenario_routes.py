"""Scenario pages: one decision at a time, the person's reaction and the coach's feedback,
「この場面をやり直す」, and the ending summary. The run lives in the database, with the order
its options are shown in and the values the scenario remembers; the form posts the option's
position, never its id."""
from __future__ import annotations

import random

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from training.auth.access import roles_required
from training.content.model import Scenario
from training.extensions import db
from training.integers import parse_int
from training.learn import scenario_play as play
from training.learn.completion import record_completions
from training.learn.progress import course_progress, load_records
from training.learn.enrolment import open_modules
from training.learn.routes import NOT_ASSIGNED, bp, load_course, require_pre_survey
from training.models import QuizAttempt, ScenarioRun, utcnow


def _load_scenario(course_id: str, scenario_id: str):
    content, course = load_course(course_id)
    if scenario_id not in course.scenarios:
        abort(404)
    if open_modules(current_user, course) is not None:  # only single modules are assigned
        abort(403, description=NOT_ASSIGNED)
    scenario = content.quiz(scenario_id)
    if not isinstance(scenario, Scenario):
        abort(404)
    return content, course, scenario


def _open_run(course_id: str, scenario_id: str) -> ScenarioRun | None:
    return db.session.scalar(
        select(ScenarioRun).where(ScenarioRun.user_id == current_user.id, ScenarioRun.course_id == course_id,
                                  ScenarioRun.scenario_id == scenario_id, ScenarioRun.finished_at.is_(None))
        .order_by(ScenarioRun.id.desc()).limit(1))


#: Shown, with status 400, when a stored run no longer fits its scenario; nothing is stored.
BROKEN = ("この取り組みの記録に読み取れない値があったため、続きから進められません。"
          "「はじめからやり直す」で、もう一度はじめてください。")
#: Options are shuffled with the operating system's randomness: a trainee cannot predict it.
_RANDOM = random.SystemRandom()


def _state(run: ScenarioRun) -> play.RunState:
    return play.RunState(tuple(run.steps), run.current_node, run.awaiting_feedback, dict(run.state or {}))


def _broken(scenario: Scenario, run: ScenarioRun) -> bool:
    """True when the stored order or values do not fit the scenario (tampered, or an old run)."""
    try:
        play.check_run(scenario, run.layout, run.state, run.steps or ())
    except play.BrokenRun:
        return True
    return False


def _save(run: ScenarioRun, state: play.RunState) -> None:
    run.steps = list(state.steps)  # new lists, so the JSON columns are seen as changed
    run.current_node = state.current
    run.awaiting_feedback = state.awaiting_feedback
    run.state = dict(state.values)


def _step(form) -> int:
    step = parse_int(form.get("step", ""))  # ASCII digits only: "²" passes isdigit() but not int()
    if step is None:
        abort(400, description="画面の内容を読み取れませんでした。ページを読み込み直してください。")
    return step


@bp.route("/<course_id>/scenarios/<scenario_id>")
@roles_required("trainee")
def scenario(course_id, scenario_id):
    """The scenario as it stands: introduction, a decision, feedback on the last choice."""
    content, course, scenario = _load_scenario(course_id, scenario_id)
    records = load_records(current_user.id, course.id)
    gate = require_pre_survey(course, course_progress(course, content, records))
    if gate:
        return gate
    summary = records.attempts.get(course.id, {}).get(scenario.id)
    run = _open_run(course.id, scenario.id)
    stale = run is not None and run.content_version != scenario.version
    broken = run is not None and not stale and _broken(scenario, run)
    if run is None or stale or broken:
        return render_template("learn/scenario_intro.html", course=course, scenario=scenario, summary=summary,
                               stale=stale, broken=broken)
    state = _state(run)
    node = scenario.node(state.current)
    feedback = play.last_choice(scenario, state) if state.awaiting_feedback else None
    decisions = len(scenario.best_path())
    return render_template("learn/scenario_play.html", course=course, scenario=scenario, run=run, state=state,
                           node=node, feedback=feedback, decisions=decisions,
                           options=play.options(node, run.layout) if node and not node.ending else [],
                           meters=play.meters(scenario, state.values),
                           changes=play.last_changes(scenario, state) if feedback else [])


@bp.route("/<course_id>/scenarios/<scenario_id>/start", methods=["POST"])
@roles_required("trainee")
def scenario_start(course_id, scenario_id):
    """Start (or start again from the beginning); an unfinished run is closed without a score."""
    content, course, scenario = _load_scenario(course_id, scenario_id)
    run = _open_run(course.id, scenario.id)
    if run is not None and request.form.get("restart") != "1" and run.content_version == scenario.version:
        return redirect(url_for("learn.scenario", course_id=course.id, scenario_id=scenario.id))
    if run is not None:
        run.finished_at = utcnow()
    state = play.start(scenario)
    db.session.add(ScenarioRun(user_id=current_user.id, course_id=course.id, scenario_id=scenario.id,
                               content_version=scenario.version, steps=[], history=[],
                               current_node=state.current, awaiting_feedback=False,
                               layout=play.draw_layout(scenario, _RANDOM), state=dict(state.values)))
    db.session.commit()
    return redirect(url_for("learn.scenario", course_id=course.id, scenario_id=scenario.id))


def _current_run(course, scenario) -> ScenarioRun | None:
    """The open run on the current version of the scenario, if any; 400 if it is broken."""
    run = _open_run(course.id, scenario.id)
    if run is None or run.content_version != scenario.version:
        return None
    if _broken(scenario, run):
        abort(400, description=BROKEN)
    return run


@bp.route("/<course_id>/scenarios/<scenario_id>/choose", methods=["POST"])
@roles_required("trainee")
def scenario_choose(course_id, scenario_id):
    """Say one of the options at the current moment."""
    _content, course, scenario = _load_scenario(course_id, scenario_id)
    run = _current_run(course, scenario)
    back = redirect(url_for("learn.scenario", course_id=course.id, scenario_id=scenario.id))
    if run is None:
        return back
    step = _step(request.form)
    if request.form.get("run") != str(run.id):
        return back  # a page of an earlier run (another tab restarted it): its order is not this run's
    choice = request.form.get("choice", "")
    position = parse_int(choice)
    try:
        state, entry = play.choose(scenario, _state(run), run.layout, request.form.get("node", ""),
                                   position if position is not None else 0, step)
    except play.StaleStep:
        return back  # a double submit or the back button: nothing changes
    except KeyError:
        if not choice:
            return back  # nothing chosen: show the moment again
        abort(400, description="選んだ内容を読み取れませんでした。ページを読み込み直してください。")
    _save(run, state)
    run.history = [*run.history, {**entry, "retried": False}]
    db.session.commit()
    return back


@bp.route("/<course_id>/scenarios/<scenario_id>/retry", methods=["POST"])
@roles_required("trainee")
def scenario_retry(course_id, scenario_id):
    """この場面をやり直す: take the last choice back."""
    _content, course, scenario = _load_scenario(course_id, scenario_id)
    run = _current_run(course, scenario)
    if run is not None:
        try:
            state = play.retry(scenario, _state(run), _step(request.form))
        except play.StaleStep:
            pass
        else:
            _save(run, state)
            history = [dict(h) for h in run.history]
            if history:
                history[-1]["retried"] = True
            run.history = history
            db.session.commit()
    return redirect(url_for("learn.scenario", course_id=course.id, scenario_id=scenario.id))


@bp.route("/<course_id>/scenarios/<scenario_id>/next", methods=["POST"])
@roles_required("trainee")
def scenario_next(course_id, scenario_id):
    """Go on after the feedback; reaching an ending finishes the run and records it once."""
    content, course, scenario = _load_scenario(course_id, scenario_id)
    run = _current_run(course, scenario)
    back = redirect(url_for("learn.scenario", course_id=course.id, scenario_id=scenario.id))
    if run is None:
        return back
    try:
        state = play.proceed(_state(run), _step(request.form))
    except play.StaleStep:
        return back
    _save(run, state)
    node = scenario.node(state.current)
    if node is None or not node.ending:
        db.session.commit()
        return back
    attempt = QuizAttempt(user_id=current_user.id, course_id=course.id, quiz_id=scenario.id, kind="scenario",
                          answers={"steps": list(state.steps), "ending": node.id, "history": run.history,
                                   "state": dict(state.values), "layout": run.layout},
                          score=play.score(state), max_score=play.max_score(scenario, state), passed=True,
                          content_version=scenario.version, submission_token=f"run-{run.id}",
                          started_at=run.started_at)
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        db.session.rollback()
        return back
    run.finished_at = utcnow()
    run.attempt_id = attempt.id
    record_completions(current_user.id, course, content)
    db.session.commit()
    return redirect(url_for("learn.attempt", course_id=course.id, attempt_id=attempt.id))
