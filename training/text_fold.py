"""Folding names for search: the same key for 髙橋 and 高橋, 山﨑 and 山崎, ｶﾀｶﾅ, カタカナ and かたかな.

``fold(text)`` is used on both sides: on what is stored (``user.search_key``, kept by
training/records/search.py) and on what is typed into a search box. Steps, in order:

1. NFKC: full-width letters and digits become ASCII, half-width katakana full-width (ｶﾞ → ガ),
   compatibility ideographs their unified form.
2. casefold, so login ids and Latin names match in any case.
3. hiragana → katakana (jaconv), so a reading typed either way matches.
4. variant kanji (異体字) → one representative, from the table of the ``ja-itaiji`` package
   (MIT licence; 16,660 characters with their variant families). The table groups
   characters loosely (it lists 田 with 佃 and 機 with 机), so it is used under one rule:
   a character in JIS X 0208 level 1 (the everyday kanji, first level of the standard) is
   never folded; any other character folds to the best member of its family, best being
   level 1, then level 2, then outside JIS X 0208. So 髙 → 高, 﨑 → 崎, 德 → 徳, 邊/邉 → 辺,
   濱 → 浜, 澤 → 沢, but 田 and 佃 stay apart. The cost: pairs that are both level 1 (島/嶋,
   富/冨, 竜/龍) are not folded (docs/decisions.md, "Finding people").
5. whitespace (full- and half-width) and the middle dot are removed, so 高橋 太郎 matches 高橋太郎.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import jaconv

_SPACES = re.compile(r"[\s\u3000・･]+")
_DIGITS = re.compile(r"[0-9]+")


@lru_cache(maxsize=None)
def _rank(char: str) -> tuple[int, bytes]:
    """0: JIS X 0208 level 1; 1: level 2; 2: outside JIS X 0208. Then the code, for a fixed order."""
    try:
        code = char.encode("shift_jis")   # Python's shift_jis is JIS X 0208 only (no vendor extensions)
    except UnicodeEncodeError:
        return 2, char.encode("utf-32-be")
    if len(code) != 2:
        return 2, char.encode("utf-32-be")
    return (0 if code < b"\x98\x73" else 1), code   # level 1 ends at 0x9872 (腕)


@lru_cache(maxsize=1)
def variant_table() -> dict[int, str]:
    """Code point -> representative character, built once from the ja-itaiji families."""
    from ja_itaiji import Itaiji

    families: dict[str, list[str]] = Itaiji.dictionary
    best: dict[str, str] = {}
    for char, family in families.items():
        if len(char) != 1 or _rank(char)[0] == 0:
            continue
        choice = min({c for c in family if len(c) == 1} | {char}, key=_rank)
        if choice != char:
            best[char] = choice
    # A rare form may point at a level-2 form that itself folds to level 1: follow the chain
    # (each step strictly improves the rank, so it ends), so the key is the same whichever
    # form was typed.
    table: dict[int, str] = {}
    for char, choice in best.items():
        while choice in best:
            choice = best[choice]
        table[ord(char)] = choice
    return table


def fold(text: str | None) -> str:
    """The search form of ``text`` (see the module docstring); '' for None."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = jaconv.hira2kata(text)
    text = text.translate(variant_table())
    return _SPACES.sub("", text)


#: Room for the folded name, kana, login id and number (NFKC may lengthen a few characters).
SEARCH_KEY_LENGTH = 600
#: Between the parts of a key: folded queries never hold it (fold removes whitespace).
SEPARATOR = "\n"


def search_key(display_name: str | None, name_kana: str | None, login_id: str | None,
               employee_no: str | None = None) -> str:
    """The stored key of one person: the folded parts joined by a newline."""
    key = SEPARATOR.join(fold(p) for p in (display_name, name_kana, login_id, employee_no))
    return key[:SEARCH_KEY_LENGTH]


def number_key(number: str | None) -> str | None:
    """An employee number as searched: NFKC, lower case, leading zeros removed (004513 → 4513)."""
    if not number:
        return None
    text = _SPACES.sub("", unicodedata.normalize("NFKC", number).casefold())
    if not text:
        return None
    return text.lstrip("0") or "0"


def digits_query(query: str) -> str | None:
    """The zero-stripped digits when ``query`` (after NFKC) is digits only, else None."""
    text = _SPACES.sub("", unicodedata.normalize("NFKC", query))
    if not text or not _DIGITS.fullmatch(text):
        return None
    return text


#: A digits-only query this long or longer also matches inside a number (451 finds 004513);
#: shorter ones match a whole number only (7 finds 007, not 170 or 700).
MIN_PART_DIGITS = 3
