"""Check-in places are content: ``checkin`` on a section heading, ``checkin: true`` in a module's
front matter. The checker names the file and line of every misuse."""
import shutil
from pathlib import Path

import pytest

from training.content import load_checked, load_content
from training.content.markdown import heading_attributes
from training.learn.checkins import LEVELS, LOW, level_words, places

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("attrs, expected", [
    (" audiences=teachers,counselors checkin", (["teachers", "counselors"], True, 0)),
    (" checkin", ([], True, 0)),
    (" audiences=teachers, counselors", (["teachers", "counselors"], False, 0)),
    (" checkin=yes", ([], False, 1)),
    (" checkin checkin", ([], True, 1)),
    (" chekin", ([], False, 1)),
])
def test_heading_attributes(attrs, expected):
    audiences, checkin, problems = heading_attributes(attrs)
    assert (audiences, checkin, len(problems)) == expected


def test_the_checker_rejects_checkin_where_it_is_invalid(tmp_path):
    shutil.copytree(ROOT / "modules", tmp_path / "modules")
    shutil.copytree(ROOT / "quizzes", tmp_path / "quizzes")
    own = tmp_path / "modules" / "hs-own-sos.md"   # checkin: true already: a section's checkin doubles it
    own.write_text(own.read_text(encoding="utf-8").replace("{#tonight}", "{#tonight checkin}"), encoding="utf-8")
    watch = tmp_path / "modules" / "core-watch.md"
    watch.write_text(watch.read_text(encoding="utf-8").replace("{#boundaries}", "{#boundaries checkin=yes}")
                     .replace("{#places}", "{#places chekin}"), encoding="utf-8")
    listen = tmp_path / "modules" / "hs-listen.md"
    listen.write_text(listen.read_text(encoding="utf-8").replace("quiz: hs-listen-check",
                                                                 "quiz: hs-listen-check\ncheckin: end"), encoding="utf-8")
    content, issues = load_content(tmp_path)
    assert content is None
    found = [str(i) for i in issues]
    tonight = next(n for n, line in enumerate(own.read_text(encoding="utf-8").split("\n"), 1) if "{#tonight" in line)
    assert any(f.startswith(f"modules/hs-own-sos.md:{tonight}: sections.tonight: モジュールの checkin: true") for f in found)
    boundaries = next(n for n, line in enumerate(watch.read_text(encoding="utf-8").split("\n"), 1) if "{#boundaries" in line)
    assert f"modules/core-watch.md:{boundaries}: checkin には値を付けません: 「{{#section-id checkin}}」のように書いてください" in found
    assert any(f.startswith("modules/core-watch.md:") and "見出しの属性を読み取れません: 'chekin'" in f for f in found)
    assert any(f.startswith("modules/hs-listen.md:") and "checkin: true か false を書いてください" in f for f in found)
    assert len([f for f in found if "checkin" in f or "chekin" in f]) == 4, found


def test_shipped_places_and_levels():
    content = load_checked(ROOT)
    student = places(content.course("high-school"), content)
    assert list(student) == ["module:hs-own-sos", "scenario:hs-case1-brother", "scenario:hs-friend-message"]
    assert student["module:hs-own-sos"].section_id == "tonight"   # shown on the module's last section
    for course_id in ("residents", "teachers", "counter-staff", "counselors"):
        adult = places(content.course(course_id), content)
        assert "section:core-watch#self-care" in adult and len(adult) == 3
    assert [v for v, _ in level_words("high_school")] == [4, 3, 2, 1] and LOW == {1, 2}
    assert level_words("teachers")[3] == (1, "とてもつらい") and level_words("high_school")[3] == (1, "すごくつらい")
    assert len(LEVELS) == 4
