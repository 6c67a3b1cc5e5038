"""A copy of the shipped content whose counter-staff course plays a small scenario that
remembers trust (tests/fixtures/scenario-state/counter-remembers.yaml) instead of
counter-insurance, so state effects, conditional lines, next nodes and endings can be
played through the pages and broken on purpose for the checker."""
from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "scenario-state" / "counter-remembers.yaml"
SCENARIO_ID = "counter-remembers"
SCENARIO_FILE = f"quizzes/{SCENARIO_ID}.yaml"


def build_tree(target: Path, scenario_text: str | None = None) -> Path:
    """Copy modules/ and quizzes/ to ``target`` with the fixture scenario in the course.

    ``scenario_text`` replaces the fixture's text (a broken variant for the checker tests).
    """
    shutil.copytree(ROOT / "modules", target / "modules")
    shutil.copytree(ROOT / "quizzes", target / "quizzes")
    (target / "quizzes" / "counter-insurance.yaml").unlink()
    (target / SCENARIO_FILE).write_text(scenario_text if scenario_text is not None
                                        else FIXTURE.read_text(encoding="utf-8"), encoding="utf-8")
    courses = target / "modules" / "courses.yaml"
    text = courses.read_text(encoding="utf-8")
    old = "scenarios: [counter-case2-arrears, counter-insurance]"
    assert old in text, "courses.yaml no longer lists the counter-staff scenarios this way"
    courses.write_text(text.replace(old, f"scenarios: [counter-case2-arrears, {SCENARIO_ID}]"), encoding="utf-8")
    return target


def fixture_text() -> str:
    return FIXTURE.read_text(encoding="utf-8")


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line containing ``needle`` (for expected messages)."""
    found = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    return found[occurrence - 1]
