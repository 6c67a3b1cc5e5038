"""The content checker: broken files are reported precisely, as file:line: key.path: message."""
import subprocess
import sys
from pathlib import Path

import pytest

from training import create_app
from training.content import ContentInvalid, load_content
from training.content.safety import lint
from training.content.yamlsource import YamlProblem, load_yaml

BROKEN = Path(__file__).resolve().parents[1] / "fixtures" / "content-broken"
TRAINING = str(Path(sys.executable).parent / "training")


def test_broken_tree_yields_exactly_the_expected_messages():
    content, issues = load_content(BROKEN)
    assert content is None
    expected = (BROKEN / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert [str(i) for i in issues] == expected


@pytest.mark.parametrize("needle", [
    "modules/good-module.md:23: 節の見出しには id が必要です",
    "modules/good-module.md:28: sections.unsafe: 手段・方法・場所を連想させる語「練炭」",
    "modules/good-module.md:29: sections.unsafe: 自殺について「成功」「失敗」と書かないでください",
    "modules/bad-front.md:4: audiences[1]:",
    "modules/bad-front.md:14: sources[1].lines: 行番号は 1〜2877 の範囲",
    "modules/survey.yaml:2: scale: 同じキーが2回書かれています",
    "quizzes/good-module-check.yaml:12: questions[0].answer: 正解は choices の id のどれか1つです",
    "quizzes/good-module-check.yaml:31: questions[3].answer: 正解は items のすべての id から options",
    "quizzes/loop-scenario.yaml:11: nodes.n1.choices.c.next: 次のノードがありません: nowhere",
    "quizzes/loop-scenario.yaml:11: nodes.n1.choices.b.next: ノードが輪になっていて",
    "quizzes/loop-scenario.yaml:25: nodes.orphan: どの選択肢からもたどり着けないノードです",
    "quizzes/syntax-error.yaml:4: YAML の書き方に誤りがあります",
    "modules/courses.yaml:5: courses[0].modules: モジュールがありません: modules/missing-module.md",
    "modules/courses.yaml:9: courses[0].roleplay: ロールプレイの id が重複しています: koekake",
])
def test_each_kind_of_problem_is_named_with_its_line(needle):
    _content, issues = load_content(BROKEN)
    assert any(str(i).startswith(needle) for i in issues), needle


def test_cli_check_prints_every_problem_and_exits_1():
    result = subprocess.run([TRAINING, "content", "check", str(BROKEN)], capture_output=True, text=True, timeout=120)
    expected = (BROKEN / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert result.returncode == 1
    assert result.stdout.splitlines() == expected
    assert result.stderr.strip() == f"{len(expected)} 件の問題があります。"


def test_cli_check_passes_on_shipped_content():
    result = subprocess.run([TRAINING, "content", "check"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("問題はありません: コース 5・モジュール 20")


def test_app_refuses_to_start_on_invalid_content(app_config):
    with pytest.raises(ContentInvalid) as raised:
        create_app(dict(app_config, CONTENT_ROOT=str(BROKEN)))
    assert len(raised.value.issues) == len((BROKEN / "expected.txt").read_text().splitlines())
    assert "modules/good-module.md:28" in str(raised.value)


def test_server_start_with_invalid_content_is_short(tmp_path):
    env = {"CONTENT_ROOT": str(BROKEN), "SECRET_KEY": "x" * 32, "INSTANCE_PATH": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([TRAINING, "init-db"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("エラー: コンテンツに")
    assert "Traceback" not in result.stderr


def test_yaml_lines_are_tracked():
    data = load_yaml("a: 1\nb:\n  - x\n  - {y: 2}\n", line_offset=1)
    assert data.line_of("a") == 2 and data.line_of("b") == 3
    assert data["b"].item_lines == [4, 5]
    assert data["b"][1].line_of("y") == 5


def test_yaml_syntax_error_has_a_line():
    with pytest.raises(YamlProblem) as raised:
        load_yaml("a: 1\nb: [1,\n", line_offset=0)
    assert raised.value.line >= 2


@pytest.mark.parametrize(("text", "problems"), [
    ("気づいたら声をかけましょう。", 0),
    ("死にたいと思うほどつらかったのですね。", 0),
    ("練炭", 1),
    ("自殺に成功", 1),
    ("未遂に失敗して", 0),   # 失敗 far from 自殺 is ordinary Japanese
    ("失敗しても大丈夫。自殺対策の話です。", 0),
    ("死ぬしかないと考える", 1),
    ("飛び降り", 1),
])
def test_safe_messaging_lint(text, problems):
    assert len(lint(text)) == problems


def test_an_hours_rule_in_a_block_list_is_named_by_its_own_line(tmp_path):
    """Issue 15: hours that do not parse name the file and the rule's own line, not the list's."""
    import shutil

    root = tmp_path / "content"
    shutil.copytree(BROKEN, root)
    contacts = root / "modules" / "help_contacts.yaml"
    contacts.write_text(contacts.read_text(encoding="utf-8").replace(
        "      open: [毎日 16時-21時, 毎日 22:00-05:00]\n", "      open:\n        - 毎日 16:00-21:00\n        - 毎日 16時-21時\n"),
        encoding="utf-8")
    _content, issues = load_content(root)
    assert "modules/help_contacts.yaml:16: contacts[1].hours.open[1]: 時刻は 16:00 や 翌05:30 の形で書いてください: 16時" in [
        str(i) for i in issues]
