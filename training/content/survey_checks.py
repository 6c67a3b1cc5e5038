"""Checks of the pre/post survey (``modules/survey.yaml``) against the courses.

An efficacy or knowledge item may be asked to some audiences only::

    efficacy:
      - id: eff-windows
        text: 悩みの内容に合った区の相談窓口を思い浮かべることができる
        audiences: [residents, teachers, counter_staff, counselors]

An item without ``audiences`` is asked to every course. The audience of each course must then
answer EFFICACY_ITEMS self-efficacy items and KNOWLEDGE_ITEMS knowledge items, and every
audience an item names must have a course (an item no course asks is a typo or a leftover).
Ids are unique over both groups, since the stored answers are keyed by them.

The distress check (post-survey only) may be worded for some audiences; its options and their
ids stay the same for everyone, so reports count the answers alike::

    distress:
      id: distress-after
      text: この研修では、つらい話題も扱いました。…        # everyone else
      variants:
        - audiences: [high_school]
          text: この講座では、つらい気持ちの話もしました。…
          help_text: …                                  # shown with the help panel

Each audience of a variant must have a course, and no audience may have two variants.
"""
from __future__ import annotations

from training.content import model
from training.content.issues import IssueList
from training.content.schema import Ctx
from training.content.yamlsource import LineDict, LineList

#: How many items of each group one audience answers (../shared/CURRICULUM.md, Evaluation).
EFFICACY_ITEMS = (5, 8)
KNOWLEDGE_ITEMS = (6, 10)
GROUPS = (("efficacy", "自己効力感", EFFICACY_ITEMS), ("knowledge", "知識", KNOWLEDGE_ITEMS))


def _item_line(raw_list, index: int, key: str | None = None) -> int:
    item = raw_list[index] if isinstance(raw_list, LineList) and index < len(raw_list) else None
    if key and isinstance(item, LineDict) and key in item:
        return item.line_of(key)
    return raw_list.line_of(index) if isinstance(raw_list, LineList) and index < len(raw_list) else 1


def check_survey(issues: IssueList, survey: model.Survey, file: str, raw, courses) -> None:
    """Unique ids, item audiences that have a course, and the number of items per audience."""
    ctx = Ctx(file, issues)
    audiences = sorted({c.audience for c in courses})
    seen: set[str] = set()
    for group, _label, _bounds in GROUPS:
        for index, item in enumerate(getattr(survey, group)):
            if item.id in seen:
                ctx.error(_item_line(raw[group], index), f"{group}[{index}].id", f"id が重複しています: {item.id}")
            seen.add(item.id)
            for audience in item.audiences:
                if audience not in audiences:
                    ctx.error(_item_line(raw[group], index, "audiences"), f"{group}[{index}].audiences",
                              f"この受講区分のコースがありません: {audience}（{' / '.join(audiences)} のどれか）")
    _check_distress_variants(ctx, survey, raw, audiences)
    for group, label, (low, high) in GROUPS:
        line = raw.line_of(group) if isinstance(raw, LineDict) else 1
        for audience in audiences:
            asked = [i for i in getattr(survey, group) if i.asked_to(audience)]
            if not low <= len(asked) <= high:
                ctx.error(line, group, f"{audience} にたずねる{label}の項目が {len(asked)} 個です"
                                       f"（{low}〜{high} 個にしてください）")


def _check_distress_variants(ctx: Ctx, survey: model.Survey, raw, audiences: list[str]) -> None:
    distress = raw.get("distress") if isinstance(raw, LineDict) else None
    raw_variants = distress.get("variants") if isinstance(distress, LineDict) else None
    worded: set[str] = set()
    for index, variant in enumerate(survey.distress_variants):
        line = _item_line(raw_variants, index, "audiences") if raw_variants is not None else 1
        for audience in variant.audiences:
            if audience not in audiences:
                ctx.error(line, f"distress.variants[{index}].audiences",
                          f"この受講区分のコースがありません: {audience}（{' / '.join(audiences)} のどれか）")
            elif audience in worded:
                ctx.error(line, f"distress.variants[{index}].audiences",
                          f"{audience} の文言がほかの variants にもあります（1つにしてください）")
            worded.add(audience)
