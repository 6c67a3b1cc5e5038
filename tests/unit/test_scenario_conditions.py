"""The condition language of scenario state, and the checker's file:line errors for state."""
import random

import pytest

from tests.support.state_content import SCENARIO_FILE, SCENARIO_ID, build_tree, fixture_text, line_of
from training.content import load_content
from training.content.conditions import ConditionError, parse_condition
from training.learn import scenario_play as play


@pytest.mark.parametrize("text, values, expected", [
    ("trust <= 1", {"trust": 1}, True),
    ("trust <= 1", {"trust": 2}, False),
    ("trust<1", {"trust": 0}, True),
    ("trust == 2", {"trust": 2}, True),
    ("trust != 2", {"trust": 2}, False),
    ("trust > -1", {"trust": 0}, True),
    ("trust >= 1 and trust <= 2", {"trust": 3}, False),
    ("trust >= 1 and calm == 0", {"trust": 1, "calm": 0}, True),
    ("trust == 0 or calm == 0", {"trust": 3, "calm": 0}, True),
    ("trust == 0 or calm == 0", {"trust": 3, "calm": 1}, False),
    ("missing == 0", {"trust": 0}, False),  # an unknown name never holds (the checker refuses it)
])
def test_conditions_compare_integers(text, values, expected):
    assert parse_condition(text).holds(values) is expected


@pytest.mark.parametrize("text", [
    "", "   ", "trust", "trust <=", "<= 1", "trust = 1", "trust <== 1", "trust <= one", "1 <= trust",
    "trust <= 1 and", "trust <= 1 and or calm == 1", "trust <= 1 and calm == 1 or calm == 2",
    "trust <= 1; import os", "__import__('os')", "trust <= 1.5", "and <= 1", "trust <= 99999",
    "a == 1 and b == 1 and c == 1 and d == 1 and e == 1", None, 3,
])
def test_anything_else_is_refused_with_a_japanese_message(text):
    with pytest.raises(ConditionError) as raised:
        parse_condition(text)
    assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in str(raised.value))


def test_layout_is_a_permutation_per_decision_and_differs_by_draw():
    content, _ = load_content(build_tree(_tmp()))
    scenario = content.quiz(SCENARIO_ID)
    layouts = [play.draw_layout(scenario, random.Random(seed)) for seed in range(6)]
    for layout in layouts:
        assert set(layout) == {n.id for n in scenario.nodes if not n.ending}
        for node_id, order in layout.items():
            assert sorted(order) == sorted(c.id for c in scenario.node(node_id).choices)
    assert len({repr(sorted(layout.items())) for layout in layouts}) > 1
    assert play.draw_layout(scenario, random.Random(7)) == play.draw_layout(scenario, random.Random(7))


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="scenario-state-")) / "tree"


def _issues(text: str) -> list[str]:
    content, issues = load_content(build_tree(_tmp(), text))
    assert content is None
    return [str(i) for i in issues if str(i).startswith(SCENARIO_FILE)]


def test_the_fixture_passes_the_checker():
    content, issues = load_content(build_tree(_tmp()))
    assert issues == [] and content.quiz(SCENARIO_ID).state[0].name == "trust"


TEXT = fixture_text()
#: (what is broken, replace this, with this, the line to expect (needle, occurrence), message start)
BROKEN = [
    ("bad syntax", "      - when: trust <= 1\n        text: 「別に", "      - when: trust =< 1\n        text: 「別に",
     ("when: trust =< 1", 1), "nodes.n2.line[0].when: "),
    ("unknown variable", "      - when: trust <= 1\n        text: 「別に", "      - when: mood <= 1\n        text: 「別に",
     ("when: mood <= 1", 1), "nodes.n2.line[0].when: 宣言されていない変数です（state: に書いてください）: mood"),
    ("literal out of range", "          - when: trust >= 3\n", "          - when: trust >= 5\n",
     ("when: trust >= 5", 1), "nodes.n4.choices.a.next[0].when: trust は 0〜3 の範囲です"),
    ("mixed and/or", "          - when: trust >= 3\n", "          - when: trust >= 3 and trust <= 3 or trust == 0\n",
     ("when: trust >= 3 and", 1), "nodes.n4.choices.a.next[0].when: and と or を1つの条件で混ぜないでください"),
    ("effect on an unknown variable", "        effects: {trust: -2}", "        effects: {mood: -2}",
     ("effects: {mood: -2}", 1), "nodes.n1.choices.c.effects.mood: 宣言されていない変数です"),
    ("effect larger than the range", "        effects: {trust: -2}", "        effects: {trust: -7}",
     ("effects: {trust: -7}", 1), "nodes.n1.choices.c.effects.trust: trust（0〜3）には大きすぎる変化です: -7"),
    ("start outside the range", "start: 2}", "start: 4}",
     ("label: Ｃさんの信頼", 1), "state.trust.start: start は 0〜3 の範囲で書いてください: 4"),
    ("min not below max", "min: 0, max: 3", "min: 3, max: 3",
     ("label: Ｃさんの信頼", 1), "state.trust.min: min は max より小さくしてください"),
    ("a text without its default", "      - text: 「実は、仕事を辞めてから眠れなくて」\n", "",
     ("    line:", 2), "nodes[1].line: 条件（when）のない既定の text を最後に1つ書いてください"),
    ("the default not last", "      - when: trust <= 1\n        text: Ｃさんは目をそらしています。\n      - text: Ｃさんは少し迷ってから、口を開きました。\n",
     "      - text: Ｃさんは少し迷ってから、口を開きました。\n      - when: trust <= 1\n        text: Ｃさんは目をそらしています。\n",
     ("      - text: Ｃさんは少し迷ってから", 1), "nodes[1].situation[0]: 条件（when）のない既定の項目は1つだけ"),
]


@pytest.mark.parametrize("name, old, new, where, message", BROKEN, ids=[b[0] for b in BROKEN])
def test_each_state_problem_is_named_with_file_and_line(name, old, new, where, message):
    assert TEXT.count(old) == 1, name
    broken = TEXT.replace(old, new)
    issues = _issues(broken)
    line = line_of(broken, where[0], where[1])
    assert any(i.startswith(f"{SCENARIO_FILE}:{line}: {message}") for i in issues), (line, issues)


def test_a_next_that_leads_nowhere_in_some_state_is_reported_with_that_state():
    # n4's first choice: trust 3 → end-best, trust <= 1 → end-good, and trust 2 → nowhere.
    broken = TEXT.replace("          - to: end-good\n", "          - when: trust <= 1\n            to: end-good\n")
    issues = _issues(broken)
    next_line = line_of(broken, "          - when: trust >= 3") - 1  # n4 a's `next:`
    assert f"{SCENARIO_FILE}:{next_line}: nodes.n4.choices.a.next: trust=2 のとき、次のノードが決まりません" \
        "（どの when にも当てはまらず、既定の to もありません）" in issues


def test_a_condition_no_reachable_state_meets_is_reported():
    # n3-guarded is reached only with trust <= 1, so a variant for trust >= 2 there is dead.
    old = "    line: 「本当に、大丈夫ですから」\n"
    assert TEXT.count(old) == 1
    broken = TEXT.replace(old, "    line:\n      - when: trust >= 2\n        text: 「ええ、まあ」\n"
                               "      - text: 「本当に、大丈夫ですから」\n")
    issues = _issues(broken)
    line = line_of(broken, "      - when: trust >= 2")
    assert f"{SCENARIO_FILE}:{line}: nodes.n3-guarded.line[0].when: たどり着けるどの状態でも成り立たない条件です: " \
        "trust >= 2" in issues


def test_a_node_only_a_dead_variant_leads_to_is_reported():
    broken = TEXT.replace("          - when: trust <= 1\n            to: n3-guarded\n",
                          "          - when: trust <= -1\n            to: n3-guarded\n")
    issues = _issues(broken)
    assert any(": nodes.n2.choices.a.next[0].when: trust は 0〜3 の範囲です" in i for i in issues)
    broken = TEXT.replace("          - when: trust <= 1\n            to: n3-guarded\n",
                          "          - when: trust <= 1 and trust >= 2\n            to: n3-guarded\n")
    issues = _issues(broken)
    guarded = line_of(broken, "  - id: n3-guarded")
    assert f"{SCENARIO_FILE}:{guarded}: nodes.n3-guarded: 状態によっては通れるはずの道が、どの状態でも通れず、" \
        "たどり着けないノードです" in issues


def test_a_loop_through_a_variant_is_refused_whatever_the_state():
    broken = TEXT.replace("          - when: trust >= 3\n            to: end-best\n",
                          "          - when: trust >= 3\n            to: n1\n")
    issues = _issues(broken)
    assert any("nodes.n4.choices.a.next: ノードが輪になっていて" in i for i in issues), issues
