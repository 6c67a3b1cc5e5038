#!/usr/bin/env python3
"""How test-wise bots do on the content, without the app: for authors, while they write.

    .venv/bin/python scripts/scenario-bots.py                 # every scenario and quiz
    .venv/bin/python scripts/scenario-bots.py hs-friend-message core-listen-check

The bots are those of tests/integration/test_bots.py (tests/support/bots.py): ``longest``
(the longest option), ``first`` (the first one shown) and ``random`` (seeded by the option's
text). Options are shown in a random order per run, as the app shows them, so each figure is
the mean over RUNS runs. A scenario's figure is the bot's score as a percentage of the most
the moments it met could have scored (as the ending page shows it), played without retries;
a quiz's figure is the share of first attempts that pass, per audience that takes it (draws
as the app draws them). The files are read leniently: a file the checker still rejects is
measured as far as it can be read. The test's bar: scenario mean below 60%, at most one
module quiz in seven passed.
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.bots import First, Longest, Seeded  # noqa: E402
from training.content import model  # noqa: E402
from training.content.issues import IssueList  # noqa: E402
from training.content.loader import _load_module, _load_quiz, _Reader  # noqa: E402
from training.learn import scenario_play as play  # noqa: E402
from training.learn.grading import is_correct  # noqa: E402
from training.learn.quiz_layout import draw_layout, shown_questions  # noqa: E402

RUNS = 200
PASS_PERCENT = 80
BOTS = (Longest(), First(), Seeded(13))


def play_once(scenario: model.Scenario, policy, rng: random.Random) -> float:
    layout = play.draw_layout(scenario, rng)
    state = play.start(scenario)
    for _ in range(100):
        node = scenario.node(state.current)
        if node is None or node.ending:
            break
        shown = play.options(node, layout)
        position = policy.pick([c.text for c in shown]) + 1
        state, _entry = play.choose(scenario, state, layout, node.id, position, len(state.steps))
        state = play.proceed(state, len(state.steps))
    best = play.max_score(scenario, state)
    return min(100.0, 100 * play.score(state) / best) if best else 0.0


def _answer(question, shown, policy):
    if question.kind == "single":
        return shown.choices[policy.pick([c.text for _, c in shown.choices])][1].id
    if question.kind == "multiple":
        return tuple(shown.choices[i][1].id for i in policy.pick_some([c.text for _, c in shown.choices]))
    if question.kind == "ordering":
        return tuple(shown.choices[i][1].id for i in policy.rank([c.text for _, c in shown.choices]))
    items, options = [c for _, c in shown.items], [c for _, c in shown.options]
    if len(items) == len(options):
        ranked_items = policy.rank([i.text for i in items])
        ranked_options = policy.rank([o.text for o in options])
        return {items[i].id: options[o].id for i, o in zip(ranked_items, ranked_options)}
    return {item.id: options[policy.pick([o.text for o in options])].id for item in items}


def quiz_pass_share(quiz: model.Quiz, audience: str, policy, rng: random.Random) -> float:
    asked = quiz.for_audience(audience)
    passed = 0
    for _ in range(RUNS):
        layout = draw_layout(asked, rng)
        shown = shown_questions(quiz, layout)
        right = sum(is_correct(s.question, _answer(s.question, s, policy)) for s in shown)
        passed += 100 * right >= PASS_PERCENT * len(shown)
    return 100 * passed / RUNS


def main(argv: list[str]) -> int:
    issues = IssueList()
    reader = _Reader(ROOT, issues)
    quizzes = {}
    for path in sorted((ROOT / "quizzes").glob("*.yaml")):
        loaded = _load_quiz(reader, path)
        if loaded:
            quizzes[loaded[0].id] = loaded[0]
    audiences = {}
    for path in sorted((ROOT / "modules").glob("*.md")):
        loaded = _load_module(reader, path)
        if loaded:
            audiences[loaded[0].quiz] = loaded[0].audiences
    wanted = argv or sorted(quizzes)
    rng = random.Random(14)
    print(f"{'file':32} {'bot':8} figure")
    for quiz_id in wanted:
        quiz = quizzes.get(quiz_id)
        if quiz is None:
            print(f"{quiz_id:32} not found or unreadable")
            continue
        for policy in BOTS:
            if isinstance(quiz, model.Scenario):
                try:
                    mean = sum(play_once(quiz, policy, rng) for _ in range(RUNS)) / RUNS
                except (KeyError, ValueError, AttributeError, TypeError) as error:
                    print(f"{quiz_id:32} {policy.name:8} cannot be played yet: {error!r}")
                    break
                flag = "  <-- at or above 60%" if mean >= 60 else ""
                print(f"{quiz_id:32} {policy.name:8} mean score {mean:5.1f}% of the maximum{flag}")
            else:
                for audience in audiences.get(quiz_id, ()):
                    share = quiz_pass_share(quiz, audience, policy, rng)
                    flag = "  <-- passes often" if share > 100 / 7 else ""
                    print(f"{quiz_id:32} {policy.name:8} {audience:14} passes {share:5.1f}% of first attempts{flag}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
