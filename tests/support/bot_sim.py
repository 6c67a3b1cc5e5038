"""The test-wise bots (tests/support/bots.py) on the content model, without pages: many runs
in a second, for the expected figures of the bots whose picks depend on the shown order.

Played with the same functions the scenario and quiz routes use (training.learn.scenario_play,
training.learn.quiz_layout, training.learn.grading), so a run here is a run through the pages
minus HTTP. Used by tests/integration/test_bots.py and scripts/scenario-bots.py.
"""
from __future__ import annotations

import random

from tests.support.bots import Echo, First, LengthRank, Longest, Seeded, Warm
from training.content import model
from training.learn import scenario_play as play
from training.learn.grading import is_correct
from training.learn.quiz_layout import draw_layout, shown_questions

RUNS = 200
PASS_PERCENT = 80
BOTS = (Longest(), First(), Seeded(13), LengthRank(2), LengthRank(3), LengthRank(-1), LengthRank(-2), Warm())


def play_once(scenario: model.Scenario, policy, rng: random.Random) -> float:
    """One run from the start to an ending without retries: the score as a percentage of the
    most the moments met could have scored (as the ending page shows it)."""
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


#: The sittings drawn for a quiz and audience, shared by every bot (see quiz_pass_share).
_SITTINGS: dict[tuple[str, str, int], list] = {}


def sittings(quiz: model.Quiz, audience: str, runs: int = RUNS) -> list:
    """``runs`` first sittings of ``quiz`` for ``audience``, drawn as the app draws them
    (draw_layout, shown_questions), from a generator seeded by the quiz and audience; drawn
    once per run of the tests. Every bot answers the same sittings: each bot's share is still
    taken over ``runs`` independent draws, and the draws, most of the time of an expectation,
    are made once instead of once per bot."""
    key = (quiz.id, audience, runs)
    if key not in _SITTINGS:
        rng = random.Random(f"sittings:{quiz.id}:{audience}")
        asked = quiz.for_audience(audience)
        _SITTINGS[key] = [shown_questions(quiz, draw_layout(asked, rng)) for _ in range(runs)]
    return _SITTINGS[key]


def quiz_pass_share(quiz: model.Quiz, audience: str, policy, rng: random.Random, runs: int = RUNS) -> float:
    """The share of first attempts the policy passes (percent), over ``sittings`` (the seeded
    bot's seeds come from ``rng``)."""
    passed = 0
    for shown in sittings(quiz, audience, runs):
        bot = _per_run(policy, rng)
        right = sum(is_correct(s.question, _answer(s.question, s, bot)) for s in shown)
        passed += 100 * right >= PASS_PERCENT * len(shown)
    return 100 * passed / runs



def _per_run(policy, rng: random.Random):
    """The policy for one run: a seeded bot gets a new seed each run, so that its mean is the
    expectation of guessing, not one guess repeated (its picks depend on the text only)."""
    return Seeded(rng.randrange(1 << 30)) if isinstance(policy, Seeded) else policy


def scenario_mean(scenario: model.Scenario, policy, rng: random.Random, runs: int = RUNS) -> float:
    """The policy's mean score over ``runs`` runs, as a percentage of each run's maximum."""
    return sum(play_once(scenario, _per_run(policy, rng), rng) for _ in range(runs)) / runs


def module_corpus(module: model.Module, audience: str) -> str:
    """What a trainee of ``audience`` reads in the module: the corpus of the echo bot at its quiz."""
    return "\n".join(section.text for section in module.sections_for(audience))


def course_corpus(modules, audience: str) -> str:
    """Every module of a course as its audience reads it: the echo bot's corpus in a scenario."""
    return "\n".join(module_corpus(m, audience) for m in modules)


def echo_for_quiz(module: model.Module, audience: str) -> Echo:
    return Echo(module_corpus(module, audience))


def echo_for_course(modules, audience: str) -> Echo:
    return Echo(course_corpus(modules, audience))
