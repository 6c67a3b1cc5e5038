"""Completion rules and progress as pure functions over records."""
from pathlib import Path

from training.content import load_checked
from training.learn.progress import AttemptSummary, Records, course_progress, course_steps

CONTENT = load_checked(Path(__file__).resolve().parents[2])
COURSE = CONTENT.course("counter-staff")


def _records(*, pre=False, modules=(), quizzes=(), scenarios=(), post=False) -> Records:
    records = Records()
    if pre:
        records.surveys[COURSE.id].add("pre")
    if post:
        records.surveys[COURSE.id].add("post")
    for module_id in modules:
        for section in CONTENT.module(module_id).sections_for(COURSE.audience):
            records.viewed[COURSE.id].add((module_id, section.id))
    for quiz_id in quizzes:
        records.attempts[COURSE.id][quiz_id] = AttemptSummary(count=1, best_percent=100, passed=True)
    for scenario_id in scenarios:
        records.attempts[COURSE.id][scenario_id] = AttemptSummary(count=1, best_percent=90, passed=True)
    return records


def test_new_trainee_starts_with_the_pre_survey():
    progress = course_progress(COURSE, CONTENT, Records())
    assert progress.percent == 0 and not progress.started
    assert progress.next_step.kind == "pre_survey"


def test_resume_goes_to_the_first_unread_section():
    progress = course_progress(COURSE, CONTENT, _records(pre=True, modules=[COURSE.modules[0]]))
    step = progress.next_step
    assert (step.kind, step.module_id) == ("quiz", COURSE.modules[0])


def test_steps_cover_every_section_for_the_audience():
    steps = course_steps(COURSE, CONTENT)
    sections = sum(len(CONTENT.module(m).sections_for(COURSE.audience)) for m in COURSE.modules)
    assert len(steps) == 1 + sections + len(COURSE.modules) + len(COURSE.scenarios) + 1


def test_module_needs_all_sections_and_a_passed_quiz():
    first = CONTENT.module(COURSE.modules[0])
    progress = course_progress(COURSE, CONTENT, _records(pre=True, quizzes=[first.quiz]))
    status = progress.modules[0]
    assert status.sections_viewed == 0 and status.quiz.passed and status.label == "学習中"
    assert status.completed_at is None


def test_learning_done_but_post_survey_missing():
    all_quizzes = [CONTENT.module(m).quiz for m in COURSE.modules]
    records = _records(pre=True, modules=COURSE.modules, quizzes=all_quizzes, scenarios=COURSE.scenarios)
    progress = course_progress(COURSE, CONTENT, records)
    assert progress.learning_done and not progress.post_survey_done
    assert progress.next_step.kind == "post_survey"
    done = course_progress(COURSE, CONTENT, _records(pre=True, modules=COURSE.modules, quizzes=all_quizzes,
                                                     scenarios=COURSE.scenarios, post=True))
    assert done.percent == 100 and done.next_step is None
