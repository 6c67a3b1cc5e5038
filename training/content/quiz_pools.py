"""Checks of question pools: ``draw``, the quiz's ``objectives`` and each question's ``objective``.

A quiz may hold more questions than one attempt asks::

    draw: 4
    objectives:
      - id: signs
        label: 変化のサインに気づく
        sections: [words, behaviour]     # sections of the module whose quiz this is
    questions:
      - id: q1
        objective: signs
        ...

Every reference is checked here and reported with its file and line: an objective no question
tests, a question without an objective (or naming an undeclared one), a section the quiz's
module does not have, a ``draw`` that cannot cover every objective.

A question may be asked to some of the module's audiences only (``audiences: [teachers]``):
a core module's quiz then tests a teacher on schools and a clerk on the counter. For each
audience of the module, the questions it can be asked must number at least POOL_FACTOR × draw
(so that a retry asks different questions) and cover every objective.
"""
from __future__ import annotations

import math
from collections import defaultdict

from training.content import model
from training.content.issues import IssueList
from training.content.schema import Ctx
from training.content.yamlsource import LineDict, LineList


#: A pool holds at least this many times the questions one attempt asks, for every audience.
POOL_FACTOR = 1.5


def pool_minimum(draw: int) -> int:
    return math.ceil(draw * POOL_FACTOR)


def _line_of(raw, key, default: int) -> int:
    return raw.line_of(key) if isinstance(raw, LineDict) and key in raw else default


def _item_line(raw_list, index: int, default: int) -> int:
    return raw_list.line_of(index) if isinstance(raw_list, LineList) and index < len(raw_list) else default


def check_pools(issues: IssueList, modules, quizzes, quiz_raw) -> None:
    """Check every check quiz's pool declarations against its questions and its module(s)."""
    used_by: dict[str, list[model.Module]] = defaultdict(list)
    for module in modules:
        used_by[module.quiz].append(module)
    for quiz in quizzes:
        if isinstance(quiz, model.Quiz) and quiz.id in quiz_raw:
            file, raw, _valid = quiz_raw[quiz.id]
            if isinstance(raw, LineDict):
                _check_pool(quiz, raw, Ctx(file, issues), used_by.get(quiz.id, []))


def _check_pool(quiz: model.Quiz, raw: LineDict, ctx: Ctx, modules: list[model.Module]) -> None:
    raw_objectives = raw.get("objectives") if isinstance(raw.get("objectives"), list) else []
    raw_objectives = [o for o in raw_objectives if isinstance(o, dict)]
    objectives_line = _line_of(raw, "objectives", 1)
    declared: dict[str, int] = {}
    for index, objective in enumerate(quiz.objectives):
        line = _item_line(raw.get("objectives"), index, objectives_line)
        if objective.id in declared:
            ctx.error(line, f"objectives[{index}].id", f"学習目標の id が重複しています: {objective.id}")
        declared.setdefault(objective.id, line)

    raw_questions = [q for q in raw.get("questions") or [] if isinstance(q, dict)]
    tested: set[str] = set()
    for index, question in enumerate(quiz.questions):
        question_raw = raw_questions[index] if index < len(raw_questions) else None
        line = _line_of(question_raw, "objective", _item_line(raw.get("questions"), index, 1))
        path = f"questions[{index}].objective"
        if question.objective and not quiz.objectives:
            ctx.error(line, path, "学習目標（objectives）が宣言されていません。クイズに objectives を書いてください")
        elif quiz.objectives and not question.objective:
            ctx.error(line, path, "この問題が確かめる学習目標（objectives の id）を objective に書いてください")
        elif question.objective and question.objective not in declared:
            ctx.error(line, path, f"宣言されていない学習目標です: {question.objective}"
                                  f"（{' / '.join(declared)} のどれか）")
        tested.add(question.objective)
    for objective_id, line in declared.items():
        if objective_id not in tested:
            ctx.error(line, "objectives", f"学習目標 {objective_id} を確かめる問題がありません")

    if quiz.draw:
        line = _line_of(raw, "draw", 1)
        if not quiz.objectives:
            ctx.error(line, "draw", "draw を使うときは、学習目標（objectives）を宣言し、各問題に objective を書いてください")
        if quiz.draw > len(quiz.questions):
            ctx.error(line, "draw", f"出題数 {quiz.draw} 問が、問題の数 {len(quiz.questions)} 問より多くなっています")
        if quiz.objectives and quiz.draw < len(declared):
            ctx.error(line, "draw", f"出題数 {quiz.draw} 問では、{len(declared)} 個の学習目標をすべて出題できません")
        _check_audiences(quiz, raw, ctx, modules, line)

    for index, objective in enumerate(quiz.objectives):
        objective_raw = raw_objectives[index] if index < len(raw_objectives) else None
        sections_raw = objective_raw.get("sections") if objective_raw is not None else None
        line = _line_of(objective_raw, "sections", objectives_line)
        for module in modules:
            ids = {s.id for s in module.sections}
            for position, section_id in enumerate(objective.sections):
                if section_id not in ids:
                    ctx.error(_item_line(sections_raw, position, line), f"objectives[{index}].sections",
                              f"モジュール {module.id} にない節です: {section_id}")
            for audience in module.audiences:
                shown = {s.id for s in module.sections_for(audience)}
                if ids & set(objective.sections) and not shown & set(objective.sections):
                    ctx.error(line, f"objectives[{index}].sections",
                              f"{audience} に表示される節が1つもありません（見直しのリンク先がなくなります）")


def _check_audiences(quiz: model.Quiz, raw: LineDict, ctx: Ctx, modules: list[model.Module], draw_line: int) -> None:
    """Per audience of the quiz's module(s): questions only for audiences the module has, and a
    pool large enough (POOL_FACTOR × draw) that covers every objective."""
    raw_questions = [q for q in raw.get("questions") or [] if isinstance(q, dict)]
    audiences = sorted({a for m in modules for a in m.audiences})
    for index, question in enumerate(quiz.questions):
        question_raw = raw_questions[index] if index < len(raw_questions) else None
        line = _line_of(question_raw, "audiences", _item_line(raw.get("questions"), index, 1))
        for audience in question.audiences:
            if audience not in audiences:
                ctx.error(line, f"questions[{index}].audiences",
                          f"このクイズのモジュールの対象にない受講区分です: {audience}（{' / '.join(audiences)} のどれか）")
    need = pool_minimum(quiz.draw)
    for audience in audiences:
        asked = [q for q in quiz.questions if q.asked_to(audience)]
        if len(asked) < need:
            ctx.error(draw_line, "draw", f"{audience} に出せる問題が {len(asked)} 問です。出題数 {quiz.draw} 問の"
                                         f" {POOL_FACTOR} 倍（{need} 問）以上にしてください（やり直しで別の問題が出るように）")
        for objective in quiz.objectives:
            if not any(q.objective == objective.id for q in asked):
                ctx.error(draw_line, "objectives", f"{audience} に出せる問題に、学習目標 {objective.id} を確かめる問題がありません")
