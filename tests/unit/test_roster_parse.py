"""CSV enrolment: encodings, BOM, CRLF, quotes, headers, and every row error (no database)."""
import pytest

from training.teach.roster import RosterError, decode, parse

HEADER = "職員番号,氏名,ふりがな,所属,メールアドレス,受講区分"


def _csv(*lines, encoding="utf-8", newline="\n", bom=False) -> bytes:
    data = newline.join(lines).encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


@pytest.mark.parametrize(("data", "encoding"), [
    (_csv(HEADER, "000123,光が丘 健,ひかりがおか けん,税務課,,窓口業務等の職員"), "UTF-8"),
    (_csv(HEADER, "000123,光が丘 健,ひかりがおか けん,税務課,,窓口業務等の職員", bom=True), "UTF-8（BOM付き）"),
    (_csv(HEADER, "000123,光が丘 健,ひかりがおか けん,税務課,,窓口業務等の職員", encoding="cp932"), "Shift_JIS（CP932）"),
    (_csv(HEADER, "000123,光が丘 健,ひかりがおか けん,税務課,,窓口業務等の職員", newline="\r\n"), "UTF-8"),
])
def test_encodings_and_line_endings(data, encoding):
    roster = parse(data)
    assert roster.encoding == encoding
    assert roster.rows[0].values == {"employee_no": "000123", "name": "光が丘 健", "name_kana": "ひかりがおか けん",
                                     "department": "税務課", "email": "", "audience": "窓口業務等の職員"}
    assert roster.rows[0].line == 2


def test_english_aliases_and_column_order():
    roster = parse(_csv("name,employee_no,audience", "石神井 恵,A-77,teachers"))
    assert roster.rows[0].values == {"name": "石神井 恵", "employee_no": "A-77", "audience": "teachers"}


def test_quoted_fields_with_commas_and_newlines_keep_file_line_numbers():
    roster = parse(_csv(HEADER, '000001,"練馬, 太郎",ねりま,"総務課\n庶務係",,区民', "000002,石神井 花子,,,,区民"))
    assert roster.rows[0].values["name"] == "練馬, 太郎"
    assert roster.rows[0].values["department"] == "総務課\n庶務係"
    assert [r.line for r in roster.rows] == [2, 4]


def test_blank_lines_are_skipped_but_counted():
    roster = parse(_csv(HEADER, "000001,練馬 太郎,,,,区民", "", ",,,,,", "000002,石神井 花子,,,,区民"))
    assert [r.line for r in roster.rows] == [2, 5]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "ファイルが空です"),
    (_csv(HEADER), "取り込む行がありません"),
    (_csv("氏名,所属", "練馬 太郎,総務課"), "必須の列がありません: 職員番号"),
    (_csv("職員番号,氏名,好きな色", "1,練馬 太郎,青"), "知らない列があります: 好きな色"),
    (_csv("職員番号,氏名,氏名", "1,a,b"), "列「氏名」が2つあります"),
    ("職員番号,氏名\n1,練馬 太郎".encode("utf-16"), "文字コードを判別できません"),
    (_csv(HEADER, '000001,"閉じていない,,,,区民'), "引用符"),
])
def test_file_level_problems(data, message):
    with pytest.raises(RosterError, match=message):
        parse(data)


def test_decode_prefers_utf8_and_falls_back_to_cp932():
    assert decode("髙橋".encode("utf-8"))[1] == "UTF-8"
    assert decode("高橋".encode("cp932"))[1] == "Shift_JIS（CP932）"


def test_names_outside_cp932_survive_in_utf8():
    roster = parse(_csv(HEADER, "000001,𠮷田 髙﨑,よしだ たかさき,,,区民", bom=True))
    assert roster.rows[0].values["name"] == "𠮷田 髙﨑"
