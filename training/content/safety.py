"""Safe-messaging lint: words that must not appear in any learner-facing text.

The rules come from ../shared/CURRICULUM.md: never describe a method, means or place of
suicide; never present suicide as a solution; no 「成功」「失敗」 wording about suicide. The
lists below are the documented word list (also in docs/content-authoring.md). A match is an
error: rewrite the sentence (say what the helper can do instead).
"""
from __future__ import annotations

import re

#: Methods, means and places. Matching is by substring.
METHOD_WORDS: tuple[str, ...] = (
    "首吊", "首つり", "首を吊", "首をつ", "縊死", "練炭", "硫化水素", "一酸化炭素", "飛び降り", "飛びおり",
    "飛び込み自殺", "投身", "入水", "服毒", "大量服薬", "過量服薬", "薬を大量", "睡眠薬をため",
    "手首を切", "リストカット", "刃物で", "包丁で", "ロープ", "致死量", "致死", "農薬を", "焼身",
    "樹海", "自殺の名所", "自殺方法", "死に方", "死ぬ方法", "楽に死", "遺書の書き方",
)

#: Presenting suicide as a solution or as success/failure.
FRAMING_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"(自殺|自死)[^。、\n]{0,8}(成功|失敗)", "自殺について「成功」「失敗」と書かないでください"),
    (r"(成功|失敗)[^。、\n]{0,8}(自殺|自死)", "自殺について「成功」「失敗」と書かないでください"),
    (r"死ぬしかない|死ねば楽|死んだほうが(まし|楽)|死ぬことで解決", "自殺を解決策のように書かないでください"),
    (r"自殺は(よくある|珍しくない|当たり前)", "自殺をありふれたことのように書かないでください"),
)

_COMPILED = tuple((re.compile(p), m) for p, m in FRAMING_PATTERNS)


def lint(text: str) -> list[str]:
    """Every safe-messaging problem in ``text``, as Japanese messages."""
    problems = []
    for word in METHOD_WORDS:
        if word in text:
            problems.append(f"手段・方法・場所を連想させる語「{word}」は使えません（安全なメッセージングの指針）")
    for pattern, message in _COMPILED:
        match = pattern.search(text)
        if match:
            problems.append(f"{message}: 「{match.group(0)}」")
    return problems
