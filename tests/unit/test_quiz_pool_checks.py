"""The checker on question pools: every broken reference of ``draw``, ``objectives`` and a
question's ``objective`` is an error at its own file and line."""
from pathlib import Path

import pytest

from tests.support.pool_tree import POOL_FILE, build_pool_tree
from training.content import load_content

POOL = POOL_FILE.read_text(encoding="utf-8")
FILE = "quizzes/pool-check.yaml"


def _line(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line containing ``needle``."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


def _issues(tmp_path: Path, text: str) -> list[str]:
    content, issues = load_content(build_pool_tree(tmp_path, text))
    assert content is None
    return [str(i) for i in issues if str(i).startswith(FILE)]


def test_the_fixture_pool_is_valid(tmp_path):
    content, issues = load_content(build_pool_tree(tmp_path))
    assert issues == [] and content.quiz("pool-check").draw == 4


EXTRA_OBJECTIVES = """  - id: x1
    label: 追加の目標その一
    sections: [four-roles]
  - id: x2
    label: 追加の目標その二
    sections: [four-roles]
  - id: x3
    label: 追加の目標その三
    sections: [four-roles]
questions:"""


def _retag(text: str, objective: str, occurrence: int) -> str:
    lines = text.splitlines()
    index = _line(text, "objective: roles", occurrence) - 1
    lines[index] = lines[index].replace("objective: roles", f"objective: {objective}")
    return "\n".join(lines) + "\n"


CASES = {
    "draw beyond the questions": (
        lambda t: t.replace("draw: 4", "draw: 9"),
        lambda t: (_line(t, "draw: 9"), "draw", "出題数 9 問が、問題の数 8 問より多くなっています")),
    "an undeclared objective": (
        lambda t: t.replace("objective: roles", "objective: rolez", 1),
        lambda t: (_line(t, "objective: rolez"), "questions[0].objective", "宣言されていない学習目標です: rolez")),
    "a question without an objective": (
        lambda t: t.replace("    objective: roles\n", "", 1),
        lambda t: (_line(t, "- id: p1"), "questions[0].objective", "この問題が確かめる学習目標")),
    "an objective no question tests": (
        lambda t: t.replace("questions:", "  - id: unused\n    label: 出題されない目標\n    sections: [four-roles]\n"
                                          "questions:"),
        lambda t: (_line(t, "- id: unused"), "objectives", "学習目標 unused を確かめる問題がありません")),
    "a section the module lacks": (
        lambda t: t.replace("sections: [four-roles]", "sections: [four-roles, nowhere]"),
        lambda t: (_line(t, "sections: [four-roles, nowhere]"), "objectives[0].sections",
                   "モジュール core-gatekeeper にない節です: nowhere")),
    "sections one audience never reads": (
        lambda t: t.replace("sections: [four-roles]", "sections: [role-residents]"),
        lambda t: (_line(t, "sections: [role-residents]"), "objectives[0].sections",
                   "counter_staff に表示される節が1つもありません")),
    "draw below the objectives": (
        lambda t: _retag(_retag(_retag(t.replace("questions:", EXTRA_OBJECTIVES, 1), "x1", 2), "x2", 2), "x3", 2),
        lambda t: (_line(t, "draw: 4"), "draw", "出題数 4 問では、5 個の学習目標をすべて出題できません")),
    "a question for an audience its module does not have": (
        lambda t: t.replace("    objective: roles\n", "    objective: roles\n    audiences: [high_school]\n", 1),
        lambda t: (_line(t, "audiences: [high_school]"), "questions[0].audiences",
                   "このクイズのモジュールの対象にない受講区分です: high_school")),
    "a pool too small for one audience": (
        # p1-p3 only for teachers: the residents' course could be asked 5 of the 8, below 1.5 × 4.
        lambda t: t.replace("    objective: roles\n", "    objective: roles\n    audiences: [teachers]\n", 3),
        lambda t: (_line(t, "draw: 4"), "draw", "residents に出せる問題が 5 問です。出題数 4 問の 1.5 倍（6 問）以上")),
    "an objective one audience is never asked": (
        lambda t: t.replace("    objective: together\n", "    objective: together\n    audiences: [counselors]\n"),
        lambda t: (_line(t, "draw: 4"), "objectives", "residents に出せる問題に、学習目標 together を確かめる問題がありません")),
    "objectives not declared": (
        lambda t: t[:t.index("objectives:")] + t[t.index("questions:"):],
        lambda t: (_line(t, "objective: roles"), "questions[0].objective", "学習目標（objectives）が宣言されていません")),
    "draw without objectives": (
        lambda t: "\n".join(line for line in (t[:t.index("objectives:")] + t[t.index("questions:"):]).splitlines()
                            if "objective:" not in line) + "\n",
        lambda t: (_line(t, "draw: 4"), "draw", "draw を使うときは、学習目標（objectives）を宣言し")),
}


@pytest.mark.parametrize("case", CASES)
def test_each_broken_pool_is_named_with_its_line(tmp_path, case):
    breaking, expected = CASES[case]
    text = breaking(POOL)
    line, path, message = expected(text)
    issues = _issues(tmp_path, text)
    assert any(i.startswith(f"{FILE}:{line}: {path}: {message}") for i in issues), issues


@pytest.mark.parametrize("draw", ["3", "true", "'4'"])
def test_draw_must_be_a_number_of_at_least_four(tmp_path, draw):
    text = POOL.replace("draw: 4", f"draw: {draw}")
    issues = _issues(tmp_path, text)
    assert any(i.startswith(f"{FILE}:{_line(text, 'draw:')}: draw: ") for i in issues), issues


def test_a_pool_round_trips_through_the_json_export(tmp_path):
    import json

    from training.content.export import from_json, to_json

    content, _issues = load_content(build_pool_tree(tmp_path))
    data = json.loads(json.dumps(to_json(content), ensure_ascii=False))
    pool = next(q for q in data["quizzes"] if q["id"] == "pool-check")
    assert pool["draw"] == 4 and pool["objectives"][0]["sections"] == ["four-roles"]
    assert pool["questions"][0]["objective"] == "roles"
    assert from_json(data) == content


def test_question_audiences_round_trip_and_narrow_what_one_course_is_asked(tmp_path):
    import json

    from training.content.export import from_json, to_json

    text = POOL.replace("    objective: together\n", "    objective: together\n    audiences: [teachers, counselors]\n", 1)
    content, issues = load_content(build_pool_tree(tmp_path, text))
    assert issues == []
    quiz = content.quiz("pool-check")
    assert quiz.question("p5").audiences == ("teachers", "counselors")
    assert [q.id for q in quiz.for_audience("residents").questions] == ["p1", "p2", "p3", "p4", "p6", "p7", "p8"]
    assert quiz.for_audience("teachers") is quiz
    data = json.loads(json.dumps(to_json(content), ensure_ascii=False))
    assert next(q for q in data["quizzes"] if q["id"] == "pool-check")["questions"][4]["audiences"] == [
        "teachers", "counselors"]
    assert from_json(data) == content
