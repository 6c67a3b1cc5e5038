"""The pre/post survey: reading the form and storing the answers."""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from training.content.model import Content, Course, Survey
from training.extensions import db
from training.learn.cycle import current_cycle
from training.models import SurveyResponse

KNOWLEDGE_OPTIONS = (("true", "正しい"), ("false", "誤り"), ("unknown", "わからない"))


class TamperedSurvey(ValueError):
    """A value the survey never offered."""


def read(survey: Survey, form, *, with_distress: bool) -> tuple[dict, dict[str, str]]:
    """(answers, problems by field name). Raises TamperedSurvey on values not offered."""
    answers: dict = {"efficacy": {}, "knowledge": {}}
    problems: dict[str, str] = {}
    scale = {str(i) for i in range(1, len(survey.scale) + 1)}
    for item in survey.efficacy:
        value = form.get(f"eff-{item.id}", "")
        if value == "":
            problems[f"eff-{item.id}"] = "1〜5のどれかを選んでください。"
        elif value not in scale:
            raise TamperedSurvey(item.id)
        else:
            answers["efficacy"][item.id] = int(value)
    allowed = {k for k, _ in KNOWLEDGE_OPTIONS}
    for item in survey.knowledge:
        value = form.get(f"kn-{item.id}", "")
        if value == "":
            problems[f"kn-{item.id}"] = "「正しい」「誤り」「わからない」のどれかを選んでください。"
        elif value not in allowed:
            raise TamperedSurvey(item.id)
        else:
            answers["knowledge"][item.id] = value
    if with_distress:
        value = form.get("distress", "")
        if value == "":
            problems["distress"] = "あてはまるものを選んでください。"
        elif value not in {o.id for o in survey.distress_options}:
            raise TamperedSurvey("distress")
        else:
            answers["distress"] = value
    return answers, problems


def save(user_id: int, course: Course, content: Content, phase: str, answers: dict) -> bool | None:
    """Store the answers once per cycle (a refresher answers again, training.learn.cycle).
    Returns whether to show the help panel, or None if already stored."""
    cycle, _since = current_cycle(user_id, course.id)
    try:
        with db.session.begin_nested():
            db.session.add(SurveyResponse(user_id=user_id, course_id=course.id, phase=phase, answers=answers,
                                          content_version=content.version, cycle=cycle))
    except IntegrityError:
        return None
    chosen = answers.get("distress")
    return any(o.show_help for o in content.survey.distress_options if o.id == chosen)


def gaps(survey, errors: dict[str, str]) -> list[tuple[str, str]]:
    """(field id, text) for each unanswered question, in page order: the error summary's links."""
    items = [(f"eff-{item.id}", item.text) for item in survey.efficacy]
    items += [(f"kn-{item.id}", item.text) for item in survey.knowledge]
    items.append(("distress", survey.distress_text))
    return [(name, f"「{text}」：{errors[name]}") for name, text in items if name in errors]
