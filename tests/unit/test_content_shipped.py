"""The shipped courses: valid, complete, and at the minimum counts issue 3 asks for."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from training.content import load_checked
from training.content.export import from_json, to_json
from training.content.model import Quiz, Scenario
from training.models import AUDIENCES

ROOT = Path(__file__).resolve().parents[2]
CONTENT = load_checked(ROOT)
TRAINING = str(Path(sys.executable).parent / "training")


def test_one_course_per_audience():
    assert sorted(c.audience for c in CONTENT.courses) == sorted(AUDIENCES)


@pytest.mark.parametrize("course", CONTENT.courses, ids=lambda c: c.id)
def test_course_minimums(course):
    assert 45 <= course.minutes <= 90
    modules = [CONTENT.module(m) for m in course.modules]
    assert len(modules) >= 7
    own = [m for m in modules if m.audiences == (course.audience,)]
    assert len(own) >= 2
    if course.audience != "high_school":
        core = {"core-gatekeeper", "core-notice", "core-listen", "core-connect", "core-watch"}
        assert core <= set(course.modules)
    for module in modules:
        sections = module.sections_for(course.audience)
        assert 3 <= len(sections) <= 6, module.id
        assert all(len(s.text) >= 200 for s in sections), module.id  # real teaching text
        assert 2 <= len(module.goals) and 3 <= len(module.key_points)
        assert any(s.plan and s.lines for s in module.sources)
        quiz = CONTENT.quiz(module.quiz)
        assert isinstance(quiz, Quiz) and len(quiz.questions) >= 4
        assert all(q.explanation for q in quiz.questions)
    scenarios = [CONTENT.quiz(s) for s in course.scenarios]
    assert len(scenarios) >= 2 and all(isinstance(s, Scenario) for s in scenarios)
    assert any("事例紹介" in src.plan for s in scenarios for src in s.sources)
    for scenario in scenarios:
        assert len(scenario.best_path()) >= 4
        for node in scenario.nodes:
            if node.ending:
                assert node.summary
            else:
                assert 3 <= len(node.choices) <= 4
                assert all(c.reaction and c.feedback for c in node.choices)


def test_every_question_kind_is_used():
    kinds = {q.kind for quiz in CONTENT.quizzes if isinstance(quiz, Quiz) for q in quiz.questions}
    assert kinds == {"single", "multiple", "ordering", "matching"}


def test_adult_core_modules_are_tailored_per_audience():
    for module_id in ("core-gatekeeper", "core-notice", "core-listen", "core-connect", "core-watch"):
        module = CONTENT.module(module_id)
        views = {a: tuple(s.id for s in module.sections_for(a)) for a in module.audiences}
        assert len(set(views.values())) >= 2, module_id  # not every audience reads the same


def test_every_check_quiz_is_a_pool_for_every_audience():
    """Issue 14: each module quiz draws some of a larger pool (1.5 x draw for each audience that
    takes it), every question tagged with what it tests, so a retry asks different questions."""
    for module in CONTENT.modules:
        quiz = CONTENT.quiz(module.quiz)
        assert quiz.draw and quiz.objectives, quiz.id
        assert all(q.objective for q in quiz.questions), quiz.id
        for audience in module.audiences:
            assert len(quiz.for_audience(audience).questions) >= 1.5 * quiz.draw, (quiz.id, audience)


def test_directory_covers_the_related_services_that_are_windows():
    numbers = set()
    for entry in CONTENT.directory:
        numbers.update(int(n) for n in re.findall(r"No\.\s*(\d+)", entry.source))
        assert entry.name and entry.department and entry.source
        assert not entry.phone and not entry.address and not entry.hours  # nothing invented
    # No.124-125 (station platform doors, railway grade separation) are works, not windows (issue 14).
    assert set(range(1, 124)) <= numbers and not {124, 125} & numbers


def test_help_contacts_carry_the_operators_page_and_when_found():
    assert len(CONTENT.contacts.contacts) >= 9
    for contact in CONTENT.contacts.contacts:
        assert contact.found_on.year >= 2026
        # The operator's or the government's own page, never another town's newsletter (issue 15).
        assert contact.source_url and "mykoho" not in contact.source_url and "akiruno" not in contact.source_url
        assert "aichiskr" not in contact.source_url


def test_youth_lines_lead_for_high_school_and_line_is_a_link():
    youth = [c.id for c in CONTENT.contacts.contacts if "high_school" in c.audiences]
    assert youth == ["kodomo-sos", "childline", "hotline-line"]
    line = next(c for c in CONTENT.contacts.contacts if c.id == "hotline-line")
    assert line.kind == "line" and not line.number and line.url.startswith("https://")
    childline = next(c for c in CONTENT.contacts.contacts if c.id == "childline")
    assert childline.hours.closed == ("12/29-1/3",)


@pytest.mark.parametrize("course", CONTENT.courses, ids=lambda c: c.id)
def test_survey_items_of_each_course(course):
    survey = CONTENT.survey.for_audience(course.audience)
    assert 5 <= len(survey.efficacy) <= 8 and 6 <= len(survey.knowledge) <= 10
    asking = [k for k in survey.knowledge if "たずねる" in k.text or "尋ねる" in k.text]
    assert asking and asking[0].answer is False  # the myth that asking directly is dangerous
    assert all(k.explanation for k in survey.knowledge)
    assert any(o.show_help for o in survey.distress_options)


def test_students_are_asked_their_own_survey_items_not_the_adult_windows():
    """The high-school course asks about what it teaches (../shared/CURRICULUM.md, Evaluation):
    a trusted adult, 24時間子供SOSダイヤル, not keeping a secret that puts a life at risk."""
    students = CONTENT.survey.for_audience("high_school")
    texts = [i.text for i in students.efficacy + students.knowledge]
    assert not any("生活サポートセンター" in t or "区の相談窓口" in t or "ゲートキーパー" in t for t in texts)
    assert any("信頼できる大人" in i.text for i in students.efficacy)
    assert any("24時間子供SOSダイヤル" in i.text for i in students.efficacy)
    assert any("秘密" in k.text and k.answer is False for k in students.knowledge)
    for audience in ("residents", "teachers", "counter_staff", "counselors"):
        adults = CONTENT.survey.for_audience(audience)
        assert not {i.id for i in adults.efficacy + adults.knowledge} & {i.id for i in students.efficacy + students.knowledge}
        assert any("生活サポートセンター" in k.text for k in adults.knowledge)


def test_export_round_trips():
    data = json.loads(json.dumps(to_json(CONTENT), ensure_ascii=False))
    assert from_json(data) == CONTENT


def test_export_shape_for_other_tools():
    data = to_json(CONTENT)
    assert set(data) >= {"courses", "modules", "quizzes", "directory", "contacts", "survey"}
    course = data["courses"][0]
    assert {"id", "title", "audience", "minutes", "modules", "scenarios"} <= set(course)
    module = data["modules"][0]
    assert {"id", "title", "sections", "quiz", "sources"} <= set(module)
    assert {"id", "title", "text"} <= set(module["sections"][0])
    kinds = {q["kind"] for q in data["quizzes"]}
    assert kinds == {"quiz", "scenario"}
    scenario = next(q for q in data["quizzes"] if q["kind"] == "scenario")
    assert {"start", "nodes", "sources"} <= set(scenario)
    decision = next(n for n in scenario["nodes"] if not n.get("ending"))
    assert {"text", "score", "reaction", "feedback", "next"} <= set(decision["choices"][0])
    entry = data["directory"][0]
    assert {"name", "department", "concerns", "audiences", "source"} <= set(entry)


def test_cli_export_json(tmp_path):
    out = tmp_path / "content.json"
    result = subprocess.run([TRAINING, "content", "export", "--json", "--output", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert from_json(json.loads(out.read_text(encoding="utf-8"))) == CONTENT


def test_content_versions_are_stable_hashes():
    again = load_checked(ROOT)
    assert again.version == CONTENT.version and len(CONTENT.version) == 16
    assert len({c.version for c in CONTENT.courses}) == len(CONTENT.courses)


TONIGHT = re.compile(r"今日、自分を傷つけ|今夜、自分を傷つけ|今夜は、?どう過ごし")


@pytest.mark.parametrize("course", CONTENT.courses, ids=lambda c: c.id)
def test_every_course_practises_tonight_in_a_scenario(course):
    """Issue 14: after a yes to suicidal thoughts, asking about now (without any method detail)
    is a tested moment, the best option there, in at least one scenario of every course."""
    moments = [(s, n.id) for s in map(CONTENT.quiz, course.scenarios) for n in s.nodes if not n.ending
               for c in n.choices if c.score == 2 and TONIGHT.search(c.text)]
    assert moments, course.id


def test_export_gives_contacts_with_kind_audiences_and_hour_rules():
    contacts = {c["id"]: c for c in to_json(CONTENT)["contacts"]["contacts"]}
    assert contacts["tokyo-hotline"]["hours"] == {"text": "毎日12時〜翌朝5時30分", "open": ["毎日 12:00-翌05:30"],
                                                  "closed": []}
    assert contacts["hotline-line"]["kind"] == "line" and contacts["hotline-line"]["url"].startswith("https://")
    assert contacts["childline"]["audiences"] == ["high_school"] and contacts["yorisoi"]["audiences"] == ["general"]
    assert all("verified_on" not in c and c["found_on"] == "2026-11-01" for c in contacts.values())
