"""Checks across files: references, answer keys, scenario graphs, minimums, safe messaging."""
from __future__ import annotations

import math

from training.content import model
from training.content.cues import check_cues
from training.content.issues import IssueList
from training.content.quiz_pools import check_pools
from training.content.safety import lint
from training.content.scenario_state import check_scenario_state
from training.content.survey_checks import check_survey
from training.content.schema import Ctx
from training.content.yamlsource import LineDict, LineList

#: Japanese reading speed used for the reading-time estimate (characters per minute).
READING_CHARS_PER_MINUTE = 500
COURSE_MINUTES = (45, 90)
MIN_AUDIENCE_MODULES = 2
MIN_SCENARIOS = 2
MIN_BEST_PATH_DECISIONS = 4
SECTIONS_PER_VIEW = (3, 6)
NON_TEXT_KEYS = {"id", "kind", "next", "start", "lines", "source_url", "quiz", "audiences", "audience",
                 "concerns", "modules", "scenarios", "answer", "found_on", "objective", "sections",
                 "url", "open", "closed"}


def lint_text(text: str, ctx: Ctx, line: int, path: str) -> None:
    for message in lint(text):
        ctx.error(line, path, message)


def lint_raw(raw, ctx: Ctx, path: str) -> None:
    """Lint every string in a YAML tree, each reported at its own line."""
    if isinstance(raw, dict):
        for key, value in raw.items():
            if key in NON_TEXT_KEYS:
                continue
            line = raw.line_of(key) if isinstance(raw, LineDict) else 1
            _lint_value(value, ctx, f"{path}.{key}" if path else str(key), line)
    elif isinstance(raw, list):
        for index, item in enumerate(raw):
            line = raw.line_of(index) if isinstance(raw, LineList) else 1
            _lint_value(item, ctx, f"{path}[{index}]", line)


def _lint_value(value, ctx, path, line):
    if isinstance(value, str):
        if "\n" in value:  # a block scalar: its text starts on the next line
            for offset, part in enumerate(value.split("\n")):
                lint_text(part, ctx, line + 1 + offset, path)
        else:
            lint_text(value, ctx, line, path)
    elif isinstance(value, (dict, list)):
        lint_raw(value, ctx, path)


def reading_minutes(text: str) -> int:
    """Estimated reading time of Japanese text, at least one minute."""
    chars = sum(1 for ch in text if not ch.isspace() and ch not in "#*->`")
    return max(1, math.ceil(chars / READING_CHARS_PER_MINUTE))


def _show(answer) -> str:
    return repr(list(answer)) if isinstance(answer, tuple) else repr(answer)


def _check_question(question: model.Question, ctx: Ctx, path: str, line: int) -> None:
    kind, answer = question.kind, question.answer
    choice_ids = [c.id for c in question.choices]
    for ids, label in ((choice_ids, "choices"), ([i.id for i in question.items], "items"),
                       ([o.id for o in question.options], "options")):
        if len(ids) != len(set(ids)):
            ctx.error(line, f"{path}.{label}", "選択肢の id が重複しています")
    if kind in ("single", "multiple", "ordering") and not question.choices:
        ctx.error(line, f"{path}.choices", "選択肢（choices）が必要です")
        return
    if kind == "single":
        if not isinstance(answer, str) or answer not in choice_ids:
            ctx.error(line, f"{path}.answer", f"正解は choices の id のどれか1つです: {answer!r}")
    elif kind == "multiple":
        if not isinstance(answer, tuple) or not answer or any(a not in choice_ids for a in answer) \
                or len(set(answer)) != len(answer):
            ctx.error(line, f"{path}.answer", f"正解は choices の id の一覧です（1つ以上、重複なし）: {_show(answer)}")
    elif kind == "ordering":
        if len(choice_ids) < 3:
            ctx.error(line, f"{path}.choices", "並べ替えには3つ以上の項目が必要です")
        if not isinstance(answer, tuple) or sorted(answer) != sorted(choice_ids):
            ctx.error(line, f"{path}.answer", "正解は choices のすべての id を正しい順に並べた一覧です")
    elif kind == "matching":
        items, options = [i.id for i in question.items], {o.id for o in question.options}
        if not items or not options:
            ctx.error(line, path, "組み合わせ問題には items と options が必要です")
            return
        mapping = dict(answer) if isinstance(answer, tuple) else None
        if mapping is None or sorted(mapping) != sorted(items) or any(v not in options for v in mapping.values()):
            ctx.error(line, f"{path}.answer", "正解は items のすべての id から options の id への対応です")


def _check_scenario(scenario: model.Scenario, ctx: Ctx, raw) -> None:
    before = len(ctx.issues)
    node_line = {}
    if isinstance(raw, LineDict) and isinstance(raw.get("nodes"), LineList):
        for index, node in enumerate(raw["nodes"]):
            if isinstance(node, dict):
                node_line[node.get("id")] = raw["nodes"].line_of(index)
    ids = [n.id for n in scenario.nodes]
    for node_id in {i for i in ids if ids.count(i) > 1}:
        ctx.error(node_line.get(node_id, 1), f"nodes.{node_id}", "ノードの id が重複しています")
    by_id = {n.id: n for n in scenario.nodes}
    if scenario.start not in by_id:
        ctx.error(raw.line_of("start"), "start", f"start のノードがありません: {scenario.start}")
        check_scenario_state(scenario, ctx, raw, graph_ok=False)
        return
    for node in scenario.nodes:
        choice_ids = [c.id for c in node.choices]
        if len(choice_ids) != len(set(choice_ids)):
            ctx.error(node_line.get(node.id, 1), f"nodes.{node.id}.choices", "選択肢の id が重複しています")
        for choice in node.choices:
            for target in choice.targets:  # every node it may lead to, whatever the state
                if target not in by_id:
                    ctx.error(node_line.get(node.id, 1), f"nodes.{node.id}.choices.{choice.id}.next",
                              f"次のノードがありません: {target}")
        if not node.ending and node.choices and max(c.score for c in node.choices) != 2 \
                and node.id in node_line:
            ctx.error(node_line.get(node.id, 1), f"nodes.{node.id}", "最もよい選択肢（score: 2）が1つ必要です")
    # Reachable from the start (choices pointing nowhere were reported above and are skipped).
    reachable, stack = set(), [scenario.start]
    while stack:
        node_id = stack.pop()
        if node_id in reachable:
            continue
        reachable.add(node_id)
        stack.extend(t for c in by_id[node_id].choices for t in c.targets if t in by_id)
    for node in scenario.nodes:
        if node.id not in reachable:
            ctx.error(node_line.get(node.id, 1), f"nodes.{node.id}", "どの選択肢からもたどり着けないノードです")
    # Every path ends: no cycles (depth-first search with colours).
    state: dict[str, int] = {}

    def visit(node_id: str, trail: list[str]) -> None:
        state[node_id] = 1
        for choice, nxt in ((c, t) for c in by_id[node_id].choices for t in c.targets):
            if nxt not in by_id:
                continue
            if state.get(nxt) == 1:
                ctx.error(node_line.get(node_id, 1), f"nodes.{node_id}.choices.{choice.id}.next",
                          f"ノードが輪になっていて、終わりにたどり着かない道があります: {' → '.join(trail + [nxt])}")
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node_id] = 2

    visit(scenario.start, [scenario.start])
    endings = [n for n in scenario.nodes if n.ending]
    if len(endings) < 2:
        ctx.error(raw.line_of("nodes"), "nodes", "結末（ending: true）を2つ以上用意してください")
    decisions = len(scenario.best_path())
    if decisions < MIN_BEST_PATH_DECISIONS:
        ctx.error(raw.line_of("start"), "start",
                  f"最もよい選択を続けた道の判断の場面が {decisions} 個です（{MIN_BEST_PATH_DECISIONS} 個以上必要）")
    # State, conditions and effects; every (node, state) pair only on a sound graph.
    check_scenario_state(scenario, ctx, raw, graph_ok=len(ctx.issues) == before)


def check_content(*, issues: IssueList, modules, module_raw, quizzes, quiz_raw, courses, courses_file,
                  courses_raw, directory, directory_file, directory_raw, survey, survey_file, survey_raw) -> None:
    """Run every cross-file check, adding problems to ``issues``."""
    quiz_by_id = {q.id: q for q in quizzes}
    module_by_id = {m.id: m for m in modules}
    used_quizzes: set[str] = set()

    for module in modules:
        file, raw, valid = module_raw[module.id]
        if not valid:
            continue  # its schema problems are reported; deeper checks would only repeat them
        ctx = Ctx(file, issues)
        if not any(s.plan and s.lines for s in module.sources):
            ctx.error(raw.line_of("sources"), "sources", "計画の該当箇所（plan と lines）を1つ以上挙げてください")
        quiz = quiz_by_id.get(module.quiz)
        if quiz is None:
            ctx.error(raw.line_of("quiz"), "quiz", f"確認クイズがありません: quizzes/{module.quiz}.yaml")
        elif not isinstance(quiz, model.Quiz):
            ctx.error(raw.line_of("quiz"), "quiz", f"{module.quiz} は確認クイズ（kind: quiz）ではありません")
        used_quizzes.add(module.quiz)
        low, high = SECTIONS_PER_VIEW
        for audience in module.audiences:
            shown = module.sections_for(audience)
            if not low <= len(shown) <= high:
                ctx.error(raw.line_of("audiences"), "sections",
                          f"{audience} に表示される節が {len(shown)} 個です（{low}〜{high} 個にしてください）")
            estimate = reading_minutes("".join(s.text for s in shown))
            if module.minutes < estimate:
                ctx.error(raw.line_of("minutes"), "minutes",
                          f"{audience} の読了目安 {estimate} 分より短い時間です（{module.minutes} 分）")

    for quiz in quizzes:
        file, raw, valid_parts = quiz_raw[quiz.id]
        ctx = Ctx(file, issues)
        if isinstance(quiz, model.Quiz):
            ids = [q.id for q in quiz.questions]
            raw_questions = [q for q in raw.get("questions") or [] if isinstance(q, dict)]
            for index, question in enumerate(quiz.questions):
                line = raw["questions"].line_of(index)
                if ids.count(question.id) > 1:
                    ctx.error(line, f"questions[{index}].id", f"問題の id が重複しています: {question.id}")
                if index in valid_parts:
                    answer_line = raw_questions[index].line_of("answer")
                    _check_question(question, ctx, f"questions[{index}]", answer_line)
        else:
            _check_scenario(quiz, ctx, raw)
    check_pools(issues, modules, quizzes, quiz_raw)  # draw, objectives and their sections
    check_cues(issues, quizzes, quiz_raw)  # answer cues (length, position, near misses)

    ctx = Ctx(courses_file, issues)
    seen_courses, seen_audiences = set(), set()
    for index, course in enumerate(courses):
        craw = courses_raw["courses"][index]
        path = f"courses[{index}]"
        line = courses_raw["courses"].line_of(index)
        if course.id in seen_courses:
            ctx.error(line, f"{path}.id", f"コースの id が重複しています: {course.id}")
        if course.audience in seen_audiences:
            ctx.error(craw.line_of("audience"), f"{path}.audience", f"{course.audience} のコースが2つあります")
        seen_courses.add(course.id)
        seen_audiences.add(course.audience)
        roleplay_ids = [item.id for item in course.roleplay]
        for item_id in sorted({i for i in roleplay_ids if roleplay_ids.count(i) > 1}):
            ctx.error(craw.line_of("roleplay"), f"{path}.roleplay", f"ロールプレイの id が重複しています: {item_id}")
        own = 0
        for module_id in course.modules:
            module = module_by_id.get(module_id)
            if module is None:
                ctx.error(craw.line_of("modules"), f"{path}.modules", f"モジュールがありません: modules/{module_id}.md")
            elif course.audience not in module.audiences:
                ctx.error(craw.line_of("modules"), f"{path}.modules",
                          f"{module_id} は {course.audience} 向けではありません（モジュールの audiences）")
            elif module.audiences == (course.audience,):
                own += 1
        if own < MIN_AUDIENCE_MODULES:
            ctx.error(craw.line_of("modules"), f"{path}.modules",
                      f"受講区分に固有のモジュールが {own} 個です（{MIN_AUDIENCE_MODULES} 個以上必要）")
        case_study = False
        for scenario_id in course.scenarios:
            scenario = quiz_by_id.get(scenario_id)
            used_quizzes.add(scenario_id)
            if scenario is None:
                ctx.error(craw.line_of("scenarios"), f"{path}.scenarios", f"シナリオがありません: quizzes/{scenario_id}.yaml")
            elif not isinstance(scenario, model.Scenario):
                ctx.error(craw.line_of("scenarios"), f"{path}.scenarios", f"{scenario_id} はシナリオ（kind: scenario）ではありません")
            else:
                if course.audience not in scenario.audiences:
                    ctx.error(craw.line_of("scenarios"), f"{path}.scenarios", f"{scenario_id} は {course.audience} 向けではありません")
                case_study = case_study or any("事例紹介" in s.plan for s in scenario.sources)
        if len(course.scenarios) < MIN_SCENARIOS:
            ctx.error(craw.line_of("scenarios"), f"{path}.scenarios", f"シナリオは {MIN_SCENARIOS} 個以上必要です")
        if not case_study:
            ctx.error(craw.line_of("scenarios"), f"{path}.scenarios",
                      "事例紹介その１・その２に基づくシナリオ（sources に事例紹介）が1つ以上必要です")
        low, high = COURSE_MINUTES
        if not low <= course.minutes <= high:
            ctx.error(line, f"{path}", f"所要時間の合計が {course.minutes} 分です（{low}〜{high} 分にしてください）")

    used_modules = {m for course in courses for m in course.modules}
    for module in modules:
        if module.id not in used_modules:
            file, raw, _valid = module_raw[module.id]
            Ctx(file, issues).error(raw.line_of("id"), "id", "どのコースからも使われていません（courses.yaml）")

    for quiz in quizzes:
        if quiz.id not in used_quizzes:
            file, raw, _valid = quiz_raw[quiz.id]
            Ctx(file, issues).error(raw.line_of("id"), "id", "どのモジュール・コースからも使われていません")

    if directory_raw is not None:
        dctx = Ctx(directory_file, issues)
        seen = set()
        for index, entry in enumerate(directory):
            if entry.id in seen:
                dctx.error(directory_raw["entries"].line_of(index), f"entries[{index}].id", f"id が重複しています: {entry.id}")
            seen.add(entry.id)

    if survey_raw is not None:
        check_survey(issues, survey, survey_file, survey_raw, courses)  # ids, audiences, items per audience


def check_contacts(contacts: model.HelpContacts, raw, ctx: Ctx) -> None:
    """Help-now lines someone can reach: a phone line has its number, LINE and chat their link."""
    seen = set()
    for index, contact in enumerate(contacts.contacts):
        craw, path = raw["contacts"][index], f"contacts[{index}]"
        line = raw["contacts"].line_of(index)
        if contact.id in seen:
            ctx.error(craw.line_of("id"), f"{path}.id", f"id が重複しています: {contact.id}")
        seen.add(contact.id)
        if contact.kind == "phone" and not contact.number:
            ctx.error(craw.line_of("number"), f"{path}.number", "電話の窓口には番号（number）が必要です")
        if contact.kind in ("line", "web"):
            if not contact.url.startswith("https://"):
                ctx.error(craw.line_of("url"), f"{path}.url",
                          "LINE・チャットの窓口には運営元のページ（https:// で始まる url）が必要です")
            if contact.number:
                ctx.error(craw.line_of("number"), f"{path}.number",
                          "LINE・チャットの窓口は番号ではなくリンク（url）で案内します")
        hours = craw["hours"]
        if contact.hours.open and not contact.hours.text.strip():
            ctx.error(hours.line_of("text"), f"{path}.hours.text", "受付時間の説明（text）を書いてください")
        if contact.hours.closed and not contact.hours.open:
            ctx.error(hours.line_of("closed"), f"{path}.hours.closed", "休みの日（closed）は open と一緒に書いてください")
        if contact.audiences and len(contact.audiences) != len(set(contact.audiences)):
            ctx.error(line, f"{path}.audiences", "audiences が重複しています")
