"""The checker on survey items by audience: every course's audience gets 5–8 efficacy and 6–10
knowledge items, item audiences are known and have a course, ids are unique; each problem is
named with file and line."""
import shutil
from pathlib import Path

import pytest

from training.content import load_checked, load_content
from training.content.issues import IssueList
from training.content.survey_checks import check_survey
from training.content.yamlsource import load_yaml

ROOT = Path(__file__).resolve().parents[2]
SURVEY = (ROOT / "modules" / "survey.yaml").read_text(encoding="utf-8")
FILE = "modules/survey.yaml"
HS = "    audiences: [high_school]"


def _line(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line containing ``needle``."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


def _issues(tmp_path: Path, text: str) -> list[str]:
    shutil.copytree(ROOT / "modules", tmp_path / "modules")
    shutil.copytree(ROOT / "quizzes", tmp_path / "quizzes")
    (tmp_path / "modules" / "survey.yaml").write_text(text, encoding="utf-8")
    content, issues = load_content(tmp_path)
    assert content is None
    return [str(i) for i in issues]


def _nth_replaced(text: str, old: str, new: str, occurrence: int) -> str:
    lines = text.splitlines()
    index = _line(text, old, occurrence) - 1
    lines[index] = lines[index].replace(old, new)
    return "\n".join(lines) + "\n"


def _retag_efficacy(text: str, count: int, to: str) -> str:
    """The first ``count`` high-school efficacy items retagged for ``to``."""
    for _ in range(count):
        text = _nth_replaced(text, HS, f"    audiences: [{to}]", 1)
    return text


def _untag_knowledge(text: str) -> str:
    """Every high-school knowledge item asked to every audience."""
    start = text.index("\nknowledge:")
    return text[:start] + text[start:].replace(HS + "\n", "")


CASES = {
    "too few efficacy items for students": (
        lambda t: _retag_efficacy(t, 3, "teachers"),
        lambda t: [f"{FILE}:{_line(t, 'efficacy:')}: efficacy: high_school にたずねる自己効力感の項目が 4 個です（5〜8 個にしてください）",
                   f"{FILE}:{_line(t, 'efficacy:')}: efficacy: teachers にたずねる自己効力感の項目が 11 個です（5〜8 個にしてください）"]),
    "too many knowledge items for every audience": (
        _untag_knowledge,
        lambda t: [f"{FILE}:{_line(t, 'knowledge:')}: knowledge: {a} にたずねる知識の項目が 18 個です（6〜10 個にしてください）"
                   for a in ("counselors", "counter_staff", "residents", "teachers")]),
    "an unknown audience": (
        lambda t: _nth_replaced(t, HS, "    audiences: [high_schol]", 1),
        lambda t: [f"{FILE}:{_line(t, 'high_schol')}: efficacy[8].audiences[0]: residents / teachers / counter_staff / "
                   f"counselors / high_school のどれかを書いてください: 'high_schol'"]),
    "an empty audience list": (
        lambda t: _nth_replaced(t, HS, "    audiences: []", 1),
        lambda t: [f"{FILE}:{_line(t, 'audiences: []')}: efficacy[8].audiences: 1 個以上必要です（いまは 0 個）"]),
    "a duplicate id across the groups": (
        lambda t: t.replace("  - id: kn-hs-asking\n", "  - id: eff-hs-notice\n"),
        lambda t: [f"{FILE}:{_line(t, '- id: eff-hs-notice', 2)}: knowledge[10].id: id が重複しています: eff-hs-notice"]),
    "a typo in a key": (
        lambda t: _nth_replaced(t, HS, "    audience: [high_school]", 1),
        lambda t: [f"{FILE}:{_line(t, 'audience: [high_school]')}: efficacy[8].audience: 知らない項目です（綴りを確認してください）"]),
    "two distress wordings for one audience": (
        lambda t: t.replace("  variants:\n", "  variants:\n    - audiences: [high_school]\n      text: 別の文言です。\n"),
        lambda t: [f"{FILE}:{_line(t, '- audiences: [high_school]', 2)}: distress.variants[1].audiences: "
                   "high_school の文言がほかの variants にもあります（1つにしてください）"]),
}


@pytest.mark.parametrize("case", CASES)
def test_each_survey_mistake_is_named_with_its_line(tmp_path, case):
    change, expected = CASES[case]
    text = change(SURVEY)
    assert text != SURVEY
    survey_issues = [i for i in _issues(tmp_path, text) if i.startswith(FILE)]
    assert survey_issues == expected(text)


def test_an_item_for_an_audience_without_a_course_is_named():
    """Every audience of the schema has a course today; an item left for an audience whose course
    is gone is reported at its ``audiences`` line."""
    content = load_checked(ROOT)
    raw = load_yaml(SURVEY)
    issues = IssueList()
    check_survey(issues, content.survey, FILE, raw, [c for c in content.courses if c.audience != "high_school"])
    found = [str(i) for i in issues.sorted()]
    first = _line(SURVEY, HS)
    assert found[0] == (f"{FILE}:{first}: efficacy[8].audiences: この受講区分のコースがありません: high_school"
                        "（counselors / counter_staff / residents / teachers のどれか）")
    assert len(found) == len(content.survey.for_audience("high_school").efficacy) + len(
        content.survey.for_audience("high_school").knowledge) + 1  # and the distress wording for students
    assert found[-1].startswith(f"{FILE}:{_line(SURVEY, '- audiences: [high_school]')}: distress.variants[0].audiences: ")


def test_shipped_survey_passes():
    content = load_checked(ROOT)
    for course in content.courses:
        survey = content.survey.for_audience(course.audience)
        assert 5 <= len(survey.efficacy) <= 8 and 6 <= len(survey.knowledge) <= 10


def test_students_get_their_own_distress_wording_and_the_same_options():
    content = load_checked(ROOT)
    students, clerks = content.survey.for_audience("high_school"), content.survey.for_audience("counter_staff")
    assert students.distress_text != clerks.distress_text == content.survey.distress_text
    assert "信頼できる大人" in students.distress_help or "話しやすい大人" in students.distress_help
    assert "24時間子供SOSダイヤル" in students.distress_help and "24時間子供SOSダイヤル" not in clerks.distress_help
    assert students.distress_options == clerks.distress_options
