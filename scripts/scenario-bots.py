#!/usr/bin/env python3
"""How test-wise bots do on the content, without the app: for authors, while they write.

    .venv/bin/python scripts/scenario-bots.py                 # every scenario and quiz
    .venv/bin/python scripts/scenario-bots.py hs-friend-message core-listen-check
    .venv/bin/python scripts/scenario-bots.py --ranks hs-friend-message   # each point's lengths

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

from tests.support.bot_sim import BOTS, RUNS, echo_for_course, echo_for_quiz, quiz_pass_share, scenario_mean  # noqa: E402
from training.content import model  # noqa: E402
from training.content.issues import IssueList  # noqa: E402
from training.content.loader import _load_module, _load_quiz, _Reader  # noqa: E402


def print_ranks(quiz) -> None:
    """Each decision point (single-choice question): the best option's length rank from the top
    and the bottom, and every option's length (best first), for fixing best-longest/best-rank."""
    from training.content.cues import _ranks, measure
    if isinstance(quiz, model.Scenario):
        points = [(n.id, [c for c in n.choices if c.score == 2][0].text, [c.text for c in n.choices],
                   [(c.score, measure(c.text)) for c in n.choices]) for n in quiz.nodes if not n.ending]
    else:
        points = [(q.id, next(c.text for c in q.choices if c.id == q.answer), [c.text for c in q.choices],
                   [(int(c.id == q.answer) * 2, measure(c.text)) for c in q.choices])
                  for q in quiz.questions if q.kind == "single"]
    for point_id, best, texts, scored in points:
        top, bottom = _ranks(best, texts)
        lengths = " ".join(f"{length}{'*' if score == 2 else ''}" for score, length in scored)
        print(f"  {point_id:18} best is #{top} from the top, #{bottom} from the bottom; lengths {lengths}")


def main(argv: list[str]) -> int:
    show_ranks = "--ranks" in argv
    argv = [a for a in argv if a != "--ranks"]
    issues = IssueList()
    reader = _Reader(ROOT, issues)
    quizzes = {}
    for path in sorted((ROOT / "quizzes").glob("*.yaml")):
        loaded = _load_quiz(reader, path)
        if loaded:
            quizzes[loaded[0].id] = loaded[0]
    audiences, modules, module_of_quiz = {}, {}, {}
    for path in sorted((ROOT / "modules").glob("*.md")):
        loaded = _load_module(reader, path)
        if loaded:
            audiences[loaded[0].quiz] = loaded[0].audiences
            modules[loaded[0].id] = module_of_quiz[loaded[0].quiz] = loaded[0]
    import yaml
    courses = yaml.safe_load((ROOT / "modules" / "courses.yaml").read_text(encoding="utf-8"))["courses"]
    course_modules = {c["audience"]: [modules[m] for m in c["modules"] if m in modules] for c in courses}
    wanted = argv or sorted(quizzes)
    rng = random.Random(14)
    print(f"{'file':32} {'bot':8} figure")
    for quiz_id in wanted:
        quiz = quizzes.get(quiz_id)
        if quiz is None:
            print(f"{quiz_id:32} not found or unreadable")
            continue
        if show_ranks:
            print(quiz_id)
            print_ranks(quiz)
            continue
        for policy in BOTS:
            if isinstance(quiz, model.Scenario):
                try:
                    mean = scenario_mean(quiz, policy, rng)
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
        # The echo bot: the wording most like the lessons the trainee read.
        if isinstance(quiz, model.Scenario):
            for audience in quiz.audiences:
                mean = scenario_mean(quiz, echo_for_course(course_modules.get(audience, []), audience), rng)
                flag = "  <-- at or above 60%" if mean >= 60 else ""
                print(f"{quiz_id:32} {'echo':8} mean score {mean:5.1f}% of the maximum ({audience}){flag}")
        elif quiz_id in module_of_quiz:
            for audience in audiences.get(quiz_id, ()):
                share = quiz_pass_share(quiz, audience, echo_for_quiz(module_of_quiz[quiz_id], audience), rng)
                flag = "  <-- passes often" if share > 100 / 7 else ""
                print(f"{quiz_id:32} {'echo':8} {audience:14} passes {share:5.1f}% of first attempts{flag}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
