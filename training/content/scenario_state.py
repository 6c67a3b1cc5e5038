"""Scenario state: what a scenario remembers (e.g. the person's trust), built and checked.

Content declares variables under ``state:``, choices change them with ``effects:``, and a
node's situation/line (an ending's title/summary) or a choice's reaction/next may be a list
of variants chosen by a condition (training.content.conditions). This module builds those
parts of the model for the loader, and checks them for ``training content check``: every
declaration, condition and effect, then every (node, state) pair a trainee can reach, so
that each path ends in every reachable state and no variant or node is dead.
"""
from __future__ import annotations

from training.content import model
from training.content.conditions import JOINERS, NAME_PATTERN, ConditionError, parse_condition
from training.content.schema import STATE_VAR, Ctx
from training.content.yamlsource import LineDict, LineList

MAX_VARIABLES = 3
MAX_RANGE = 10
#: More (node, state) pairs than this means the scenario is too tangled to review by hand.
MAX_EXPLORED = 5000
NODE_TEXTS = {"situation": "text", "line": "text", "title": "text", "summary": "text"}
CHOICE_PARTS = {"reaction": "text", "next": "to"}


def _parse_or_none(text):
    try:
        return parse_condition(text)
    except ConditionError:
        return None  # reported by the checker; a variant that cannot be read never applies


def variants_for(raw, fields: dict[str, str]) -> tuple[dict[str, str], tuple]:
    """(plain value per field, variants per field) from a node or choice mapping of the YAML.

    ``fields`` maps each field to the key its variant items use (``text`` or ``to``).
    """
    plain, variants = {}, []
    for name, item_key in fields.items():
        value = raw.get(name) if isinstance(raw, dict) else None
        if not isinstance(value, list):
            plain[name] = value if isinstance(value, str) else ""
            continue
        plain[name], found = "", []
        for item in value:
            if not isinstance(item, dict):
                continue
            text = item.get(item_key) if isinstance(item.get(item_key), str) else ""
            if "when" in item:
                found.append(model.Variant(str(item["when"]), text, _parse_or_none(item["when"])))
            else:
                plain[name] = text
        variants.append((name, tuple(found)))
    return plain, tuple(variants)


def effects_of(raw) -> tuple[tuple[str, int], ...]:
    effects = raw.get("effects") if isinstance(raw, dict) else None
    if not isinstance(effects, dict):
        return ()
    return tuple((str(k), v) for k, v in effects.items() if isinstance(v, int) and not isinstance(v, bool))


def _valid_var(name, spec) -> bool:
    if not isinstance(name, str) or not NAME_PATTERN.match(name) or name in JOINERS or not isinstance(spec, dict):
        return False
    low, high, start = spec.get("min"), spec.get("max"), spec.get("start")
    return all(isinstance(x, int) and not isinstance(x, bool) for x in (low, high, start)) \
        and low < high and low <= start <= high and high - low <= MAX_RANGE


def state_of(raw) -> tuple[model.StateVar, ...]:
    """The declared variables that are well formed (the checker reports the others)."""
    state = raw.get("state") if isinstance(raw, dict) else None
    if not isinstance(state, dict):
        return ()
    return tuple(model.StateVar(name, spec["label"] if isinstance(spec.get("label"), str) else name,
                                spec["min"], spec["max"], spec["start"], spec.get("shown") is not False)
                 for name, spec in state.items() if _valid_var(name, spec))


def describe(scenario: model.Scenario, values) -> str:
    """``trust=0`` style, for messages to content authors."""
    return "、".join(f"{var.name}={values.get(var.name)}" for var in scenario.state)


# --- the checker -----------------------------------------------------------------------------

def _check_declarations(raw, ctx: Ctx) -> dict[str, tuple[int, int]]:
    state = raw.get("state") if isinstance(raw, dict) else None
    if not isinstance(state, dict):
        return {}
    for key, key_line in getattr(state, "duplicates", []):
        ctx.error(key_line, f"state.{key}", "同じ変数が2回書かれています")
    if len(state) > MAX_VARIABLES:
        ctx.error(raw.line_of("state"), "state", f"状態の変数は {MAX_VARIABLES} 個までです（いまは {len(state)} 個）")
    declared = {}
    for name, spec in state.items():
        line = state.line_of(name) if isinstance(state, LineDict) else 1
        path = f"state.{name}"
        if not isinstance(name, str) or not NAME_PATTERN.match(name) or name in JOINERS:
            ctx.error(line, path, f"変数名は半角英小文字で始め、英小文字・数字・_ で書いてください（and / or は使えません）: {name!r}")
            continue
        if not STATE_VAR.check(spec, ctx, path, line):
            continue
        low, high, start = spec["min"], spec["max"], spec["start"]
        if low >= high:
            ctx.error(spec.line_of("min"), f"{path}.min", f"min は max より小さくしてください: {low} / {high}")
        elif high - low > MAX_RANGE:
            ctx.error(spec.line_of("max"), f"{path}.max", f"範囲は {MAX_RANGE} 段階までです: {low}〜{high}")
        elif not low <= start <= high:
            ctx.error(spec.line_of("start"), f"{path}.start", f"start は {low}〜{high} の範囲で書いてください: {start}")
        else:
            declared[name] = (low, high)
    return declared


def _check_condition(text, declared, ctx: Ctx, path: str, line: int) -> None:
    try:
        condition = parse_condition(text)
    except ConditionError as problem:
        ctx.error(line, path, f"{problem}: {text!r}")
        return
    for part in condition.parts:
        if part.name not in declared:
            ctx.error(line, path, f"宣言されていない変数です（state: に書いてください）: {part.name}")
            continue
        low, high = declared[part.name]
        if not low <= part.value <= high:
            ctx.error(line, path, f"{part.name} は {low}〜{high} の範囲です（条件の数が範囲外です）: {part.value}")


def _check_variants(value, declared, ctx: Ctx, path: str) -> list[int]:
    """Check each ``when`` of a variant list; returns the line of each conditional item, in order."""
    lines = []
    if not isinstance(value, LineList):
        return lines
    for index, item in enumerate(value):
        if isinstance(item, LineDict) and "when" in item:
            lines.append(item.line_of("when"))
            _check_condition(item["when"], declared, ctx, f"{path}[{index}].when", item.line_of("when"))
    return lines


def _check_effects(choice, declared, ctx: Ctx, path: str) -> None:
    effects = choice.get("effects")
    if not isinstance(effects, LineDict):
        return  # absent, or not a mapping (reported by the schema)
    for name, change in effects.items():
        line = effects.line_of(name)
        if name not in declared:
            ctx.error(line, f"{path}.effects.{name}", f"宣言されていない変数です（state: に書いてください）: {name}")
        elif isinstance(change, bool) or not isinstance(change, int) or change == 0:
            ctx.error(line, f"{path}.effects.{name}", f"0 以外の整数（例: -1）で書いてください: {change!r}")
        elif abs(change) > declared[name][1] - declared[name][0]:
            low, high = declared[name]
            ctx.error(line, f"{path}.effects.{name}", f"{name}（{low}〜{high}）には大きすぎる変化です: {change}")


def check_scenario_state(scenario: model.Scenario, ctx: Ctx, raw, *, graph_ok: bool) -> None:
    """Check state, conditions and effects; then, if all is sound, every reachable state.

    ``graph_ok``: the node graph itself has no missing node or loop (checks._check_scenario),
    so walking (node, state) pairs is finite and reports only state-dependent problems.
    """
    before = len(ctx.issues)
    declared = _check_declarations(raw, ctx)
    nodes = raw.get("nodes") if isinstance(raw, dict) else None
    lines: dict[tuple, object] = {}  # (node, choice or "", field) -> line(s) of its conditions
    for index, node in enumerate(nodes if isinstance(nodes, LineList) else []):
        if not isinstance(node, LineDict):
            continue
        path = f"nodes.{node.get('id')}"
        lines[(node.get("id"), "", "")] = nodes.line_of(index)
        for key in NODE_TEXTS:
            lines[(node.get("id"), "", key)] = _check_variants(node.get(key), declared, ctx, f"{path}.{key}")
        choices = node.get("choices")
        for choice in choices if isinstance(choices, list) else []:
            if not isinstance(choice, LineDict):
                continue
            cpath = f"{path}.choices.{choice.get('id')}"
            for key in CHOICE_PARTS:
                lines[(node.get("id"), choice.get("id"), key)] = _check_variants(
                    choice.get(key), declared, ctx, f"{cpath}.{key}")
            lines[(node.get("id"), choice.get("id"), "")] = choice.line_of("next")
            _check_effects(choice, declared, ctx, cpath)
    if graph_ok and len(ctx.issues) == before and (scenario.state or any(
            n.variants or any(c.variants for c in n.choices) for n in scenario.nodes)):
        _explore(scenario, ctx, raw, lines)


def _explore(scenario: model.Scenario, ctx: Ctx, raw, lines: dict) -> None:
    """Walk every (node, state) pair from the start; report dead ends, dead variants and nodes."""
    by_id = {n.id: n for n in scenario.nodes}
    names = [var.name for var in scenario.state]
    start = scenario.start_values()
    pending, seen = [(scenario.start, start)], set()
    reached, used, dead_ends = set(), set(), set()
    while pending:
        node_id, values = pending.pop()
        key = (node_id, tuple(values[n] for n in names))
        if key in seen:
            continue
        seen.add(key)
        if len(seen) > MAX_EXPLORED:
            ctx.error(raw.line_of("state"), "state", f"たどれる場面と状態の組み合わせが {MAX_EXPLORED} を超えます。変数か範囲を減らしてください")
            return
        node = by_id[node_id]
        reached.add(node_id)
        for field_name, variants in node.variants:
            used.update((node_id, "", field_name, i) for i, v in enumerate(variants) if v.holds(values))
        for choice in node.choices:
            after = scenario.after(values, choice)
            for field_name, variants in choice.variants:
                used.update((node_id, choice.id, field_name, i) for i, v in enumerate(variants) if v.holds(after))
            target = choice.next_for(after)
            if not target:
                if (node_id, choice.id) not in dead_ends:
                    dead_ends.add((node_id, choice.id))
                    ctx.error(lines.get((node_id, choice.id, ""), 1), f"nodes.{node_id}.choices.{choice.id}.next",
                              f"{describe(scenario, after)} のとき、次のノードが決まりません"
                              "（どの when にも当てはまらず、既定の to もありません）")
            elif target in by_id:
                pending.append((target, after))
    for node in scenario.nodes:
        variant_sets = [("", node.variants)] + [(c.id, c.variants) for c in node.choices]
        for choice_id, variants_by_field in variant_sets:
            for field_name, variants in variants_by_field:
                where = lines.get((node.id, choice_id, field_name)) or []
                for i, variant in enumerate(variants):
                    if node.id in reached and (node.id, choice_id, field_name, i) not in used:
                        path = f"nodes.{node.id}" + (f".choices.{choice_id}" if choice_id else "")
                        ctx.error(where[i] if i < len(where) else 1, f"{path}.{field_name}[{i}].when",
                                  f"たどり着けるどの状態でも成り立たない条件です: {variant.when}")
        if node.id not in reached and _statically_reachable(scenario, by_id, node.id):
            ctx.error(lines.get((node.id, "", ""), 1), f"nodes.{node.id}",
                      "状態によっては通れるはずの道が、どの状態でも通れず、たどり着けないノードです")
    endings = {n for n in reached if by_id[n].ending}
    if len(endings) < 2 and sum(1 for n in scenario.nodes if n.ending) >= 2:
        ctx.error(raw.line_of("nodes"), "nodes", f"たどり着ける結末が {len(endings)} つです（状態を考えると2つ以上必要）")


def _statically_reachable(scenario, by_id, node_id: str) -> bool:
    """Reachable through some choice when state is ignored (else checks already reported it)."""
    seen, stack = set(), [scenario.start]
    while stack:
        current = stack.pop()
        if current == node_id:
            return True
        if current in seen or current not in by_id:
            continue
        seen.add(current)
        stack.extend(t for c in by_id[current].choices for t in c.targets)
    return False
