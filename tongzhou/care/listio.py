"""The service list as a workbook: two sheets, 服务对象 (groups) and 服务项目 (items), with
Chinese headers. The shipped default is the same two tables as CSV. A file is read row by
row: every bad row is reported with its sheet, row and reason, and the rest is loaded; what
is exported reads back in unchanged."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import xlsxwriter

from tongzhou.elders.importer import ImportFileError, RowError, cell_text, data_rows

DATA = Path(__file__).resolve().parent / "data"
GROUP_SHEET = "服务对象"
ITEM_SHEET = "服务项目"

GROUP_COLUMNS = [
    "编码",
    "名称",
    "英文名",
    "最低年龄",
    "最高年龄",
    "人员类别",
    "居住情况",
    "最低评估等级",
    "海岛类型",
    "说明",
]
ITEM_COLUMNS = [
    "编码",
    "名称",
    "英文名",
    "类别",
    "服务类型",
    "数量",
    "单位",
    "周期",
    "适用年龄",
    "政府承担%",
    "慈善承担%",
    "个人承担%",
    "单价(元)",
    "每单位最短分钟",
    "服务方式",
    "离岛方式",
    "小岛方式",
    "小岛数量",
    "适用对象",
    "牵头部门",
    "说明",
]
NUMERIC = {
    "最低年龄",
    "最高年龄",
    "最低评估等级",
    "数量",
    "适用年龄",
    "政府承担%",
    "慈善承担%",
    "个人承担%",
    "单价(元)",
    "每单位最短分钟",
    "小岛数量",
}

CATEGORY_WORDS = {"物质帮助": "material", "照护服务": "care", "关爱服务": "caring"}
KIND_WORDS = {
    "津贴补贴": "allowance",
    "助餐": "meals",
    "助洁": "cleaning",
    "助浴": "bathing",
    "助医": "medical",
    "助行": "mobility",
    "探访关爱": "visit",
    "康复护理": "nursing",
    "紧急呼叫": "emergency",
    "家庭照护床位": "home_bed",
    "喘息服务": "respite",
    "适老化改造": "adaptation",
    "精神慰藉": "companionship",
    "法律援助": "legal",
    "健康服务": "health",
    "日间照料": "day_care",
    "生活照料": "personal",
    "其他": "other",
}
PERIOD_WORDS = {"月": "month", "季": "quarter", "年": "year", "一次": "once"}
DELIVERY_WORDS = {
    "上门": "home",
    "到站": "station",
    "流动站": "mobile",
    "线上": "online",
    "发放": "payment",
}
TIER_WORDS = {"本岛": "main", "离岛": "outer_town", "小岛": "small"}
LIVING_WORDS = {"独居": "alone", "空巢": "empty_nest"}
SPLIT = "、"


def words_for(mapping: dict[str, str], value: str) -> str:
    return next((word for word, code in mapping.items() if code == value), value)


@dataclass
class ParsedList:
    groups: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0

    def error(self, sheet: str, row: int, code: str, zh: str, en: str) -> None:
        self.errors.append(RowError(row, sheet, code, zh, en))


def _rows(
    raw: Iterable[Iterable[Any]], expected: list[str], sheet: str
) -> Iterator[tuple[int, dict[str, str]]]:
    iterator = iter(raw)
    header = [cell_text(cell) for cell in next(iterator, ())]
    missing = [name for name in expected if name not in header]
    if missing:
        raise ImportFileError(
            "care_list_columns",
            f"“{sheet}”表缺少列：{'、'.join(missing)}。",
            f"Sheet '{sheet}' lacks columns: {', '.join(missing)}.",
        )
    for number, cells in data_rows(iterator, f"“{sheet}”表", f"Sheet '{sheet}': "):
        yield number, dict(zip(header, cells, strict=False))


def read_workbook(
    handle: IO[bytes],
) -> tuple[list[tuple[int, dict[str, str]]], list[tuple[int, dict[str, str]]]]:
    # openpyxl is heavy to import and only list uploads read Excel.
    from openpyxl import load_workbook

    try:
        book = load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:
        raise ImportFileError(
            "import_file_unreadable", "无法读取该 Excel 文件。", "The Excel file cannot be read."
        ) from exc
    try:
        names = book.sheetnames
        if GROUP_SHEET not in names or ITEM_SHEET not in names:
            raise ImportFileError(
                "care_list_sheets",
                f"工作簿须有“{GROUP_SHEET}”和“{ITEM_SHEET}”两张表。",
                f"The workbook needs the sheets '{GROUP_SHEET}' and '{ITEM_SHEET}'.",
            )
        groups = list(
            _rows(book[GROUP_SHEET].iter_rows(values_only=True), GROUP_COLUMNS, GROUP_SHEET)
        )
        items = list(_rows(book[ITEM_SHEET].iter_rows(values_only=True), ITEM_COLUMNS, ITEM_SHEET))
    finally:
        book.close()
    return groups, items


def read_default() -> tuple[list[tuple[int, dict[str, str]]], list[tuple[int, dict[str, str]]]]:
    def rows(name: str, columns: list[str], sheet: str) -> list[tuple[int, dict[str, str]]]:
        with (DATA / name).open(encoding="utf-8") as handle:
            return list(_rows(csv.reader(handle), columns, sheet))

    return rows("groups.csv", GROUP_COLUMNS, GROUP_SHEET), rows(
        "items.csv", ITEM_COLUMNS, ITEM_SHEET
    )


def _number(
    parsed: ParsedList,
    sheet: str,
    row: int,
    name: str,
    text: str,
    *,
    low: int = 0,
    high: int = 1_000_000,
) -> int | None:
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value.is_integer() or not low <= value <= high:
        parsed.error(
            sheet,
            row,
            "care_list_number",
            f"“{name}”应为 {low} 到 {high} 之间的整数，而不是“{text}”。",
            f"'{name}' must be a whole number from {low} to {high}, not '{text}'.",
        )
        raise _BadRow
    return int(value)


def _yuan_to_fen(parsed: ParsedList, row: int, text: str) -> int:
    if text == "":
        return 0
    try:
        fen = round(float(text) * 100, 6)
    except ValueError:
        fen = -1.5
    if fen < 0 or not float(fen).is_integer() or fen > 100_000_000:
        parsed.error(
            ITEM_SHEET,
            row,
            "care_list_price",
            f"单价“{text}”应为不小于 0、最多两位小数的金额（元）。",
            f"Price '{text}' must be a non-negative amount in yuan, at most 2 decimals.",
        )
        raise _BadRow
    return int(fen)


def _word(
    parsed: ParsedList,
    sheet: str,
    row: int,
    name: str,
    text: str,
    mapping: dict[str, str],
    *,
    blank: bool = False,
) -> str:
    if text == "" and blank:
        return ""
    if text not in mapping:
        allowed = "、".join(mapping)
        parsed.error(
            sheet,
            row,
            "care_list_word",
            f"“{name}”应为：{allowed}；而不是“{text}”。",
            f"'{name}' must be one of: {allowed}; not '{text}'.",
        )
        raise _BadRow
    return mapping[text]


def _words(
    parsed: ParsedList, sheet: str, row: int, name: str, text: str, mapping: dict[str, str]
) -> list[str]:
    return [
        _word(parsed, sheet, row, name, part.strip(), mapping)
        for part in text.replace(",", SPLIT).replace("，", SPLIT).split(SPLIT)
        if part.strip()
    ]


class _BadRow(Exception):
    """This row is reported and skipped."""


def parse(
    groups: list[tuple[int, dict[str, str]]],
    items: list[tuple[int, dict[str, str]]],
    categories: dict[str, str],
) -> ParsedList:
    """Rows → clean dicts ready to save; `categories` maps a category's Chinese name to its
    code. A row with any bad cell is reported (each reason once) and left out; an item whose
    groups were all left out is left out too."""
    parsed = ParsedList(rows=len(groups) + len(items))
    codes: set[str] = set()
    for row, cells in groups:
        try:
            code = _code(parsed, GROUP_SHEET, row, cells, codes)
            min_age = _number(parsed, GROUP_SHEET, row, "最低年龄", cells["最低年龄"], high=130)
            max_age = _number(parsed, GROUP_SHEET, row, "最高年龄", cells["最高年龄"], high=130)
            if min_age is not None and max_age is not None and max_age < min_age:
                parsed.error(
                    GROUP_SHEET,
                    row,
                    "care_list_age_range",
                    "最高年龄小于最低年龄。",
                    "The upper age is below the lower age.",
                )
                raise _BadRow
            parsed.groups.append(
                {
                    "code": code,
                    "name_zh": _required(parsed, GROUP_SHEET, row, "名称", cells["名称"]),
                    "name_en": cells["英文名"][:80],
                    "min_age": min_age,
                    "max_age": max_age,
                    "categories": _words(
                        parsed, GROUP_SHEET, row, "人员类别", cells["人员类别"], categories
                    ),
                    "living": _words(
                        parsed, GROUP_SHEET, row, "居住情况", cells["居住情况"], LIVING_WORDS
                    ),
                    "min_assessment_level": _number(
                        parsed, GROUP_SHEET, row, "最低评估等级", cells["最低评估等级"], high=4
                    ),
                    "island_tiers": _words(
                        parsed, GROUP_SHEET, row, "海岛类型", cells["海岛类型"], TIER_WORDS
                    ),
                    "description": cells["说明"][:200],
                    "sort_order": len(parsed.groups),
                }
            )
            codes.add(code)
        except _BadRow:
            continue
    item_codes: set[str] = set()
    for row, cells in items:
        try:
            code = _code(parsed, ITEM_SHEET, row, cells, item_codes)
            shares = [
                _number(parsed, ITEM_SHEET, row, name, cells[name], high=100) or 0
                for name in ("政府承担%", "慈善承担%", "个人承担%")
            ]
            if sum(shares) != 100:
                parsed.error(
                    ITEM_SHEET,
                    row,
                    "care_list_shares",
                    f"政府、慈善、个人承担比例之和应为100%，现为{sum(shares)}%。",
                    "The government, charity and elder shares must add to 100%, "
                    f"not {sum(shares)}%.",
                )
                raise _BadRow
            quantity = _number(parsed, ITEM_SHEET, row, "数量", cells["数量"], low=1)
            if quantity is None:
                parsed.error(
                    ITEM_SHEET,
                    row,
                    "care_list_quantity",
                    "缺少“数量”。",
                    "The quantity is missing.",
                )
                raise _BadRow
            in_groups = _group_codes(parsed, row, cells["适用对象"], codes)
            parsed.items.append(
                {
                    "code": code,
                    "name_zh": _required(parsed, ITEM_SHEET, row, "名称", cells["名称"]),
                    "name_en": cells["英文名"][:80],
                    "category": _word(
                        parsed, ITEM_SHEET, row, "类别", cells["类别"], CATEGORY_WORDS
                    ),
                    "kind": _word(
                        parsed, ITEM_SHEET, row, "服务类型", cells["服务类型"], KIND_WORDS
                    ),
                    "quantity": quantity,
                    "unit": _required(parsed, ITEM_SHEET, row, "单位", cells["单位"])[:6],
                    "period": _word(parsed, ITEM_SHEET, row, "周期", cells["周期"], PERIOD_WORDS),
                    "min_age": _number(
                        parsed, ITEM_SHEET, row, "适用年龄", cells["适用年龄"], high=130
                    ),
                    "government_bp": shares[0] * 100,
                    "charity_bp": shares[1] * 100,
                    "elder_bp": shares[2] * 100,
                    "unit_price_fen": _yuan_to_fen(parsed, row, cells["单价(元)"]),
                    "min_minutes": _number(
                        parsed,
                        ITEM_SHEET,
                        row,
                        "每单位最短分钟",
                        cells["每单位最短分钟"],
                        high=24 * 60,
                    )
                    or 0,
                    "delivery": _word(
                        parsed, ITEM_SHEET, row, "服务方式", cells["服务方式"], DELIVERY_WORDS
                    ),
                    "outer_delivery": _word(
                        parsed,
                        ITEM_SHEET,
                        row,
                        "离岛方式",
                        cells["离岛方式"],
                        DELIVERY_WORDS,
                        blank=True,
                    ),
                    "small_delivery": _word(
                        parsed,
                        ITEM_SHEET,
                        row,
                        "小岛方式",
                        cells["小岛方式"],
                        DELIVERY_WORDS,
                        blank=True,
                    ),
                    "small_quantity": _number(
                        parsed, ITEM_SHEET, row, "小岛数量", cells["小岛数量"], low=1
                    ),
                    "groups": in_groups,
                    "department": cells["牵头部门"][:40],
                    "description": cells["说明"][:300],
                    "sort_order": len(parsed.items),
                }
            )
            item_codes.add(code)
        except _BadRow:
            continue
    return parsed


def _required(parsed: ParsedList, sheet: str, row: int, name: str, text: str) -> str:
    if not text:
        parsed.error(sheet, row, "care_list_required", f"缺少“{name}”。", f"'{name}' is missing.")
        raise _BadRow
    return text[:40]


def _code(parsed: ParsedList, sheet: str, row: int, cells: dict[str, str], seen: set[str]) -> str:
    code = cells["编码"].upper()
    if not code or len(code) > 12 or not code.replace("-", "").replace("_", "").isalnum():
        parsed.error(
            sheet,
            row,
            "care_list_code",
            f"编码“{code}”应为1到12位字母或数字。",
            f"Code '{code}' must be 1 to 12 letters or digits.",
        )
        raise _BadRow
    if code in seen:
        parsed.error(
            sheet,
            row,
            "care_list_duplicate",
            f"编码“{code}”重复。",
            f"Code '{code}' appears twice.",
        )
        raise _BadRow
    return code


def _group_codes(parsed: ParsedList, row: int, text: str, known: set[str]) -> list[str]:
    wanted = [
        part.strip().upper()
        for part in text.replace(",", SPLIT).replace("，", SPLIT).split(SPLIT)
        if part.strip()
    ]
    unknown = [code for code in wanted if code not in known]
    if not wanted or unknown:
        parsed.error(
            ITEM_SHEET,
            row,
            "care_list_groups",
            f"“适用对象”须列出已有对象的编码；未知：{'、'.join(unknown) or '（空）'}。",
            f"'适用对象' must list known group codes; unknown: {', '.join(unknown) or '(none)'}.",
        )
        raise _BadRow
    return wanted


def write_workbook(
    groups: Iterable[dict[str, Any]], items: Iterable[dict[str, Any]], categories: dict[str, str]
) -> bytes:
    """The two sheets, numbers as numbers; `categories` maps a code to its Chinese name."""
    handle = io.BytesIO()
    book = xlsxwriter.Workbook(handle, {"strings_to_formulas": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "0.00"})
    for sheet_name, columns, rows in (
        (GROUP_SHEET, GROUP_COLUMNS, [_group_cells(g, categories) for g in groups]),
        (ITEM_SHEET, ITEM_COLUMNS, [_item_cells(i) for i in items]),
    ):
        sheet = book.add_worksheet(sheet_name)
        sheet.freeze_panes(1, 0)
        for index, title in enumerate(columns):
            sheet.write_string(0, index, title, bold)
            sheet.set_column(index, index, 24 if title in ("名称", "英文名", "说明") else 11)
        for row_number, cells in enumerate(rows, start=1):
            for index, title in enumerate(columns):
                value = cells[title]
                if value is None or value == "":
                    continue
                if title in NUMERIC:
                    sheet.write_number(
                        row_number, index, value, money if title == "单价(元)" else None
                    )
                else:
                    sheet.write_string(row_number, index, str(value))
    book.close()
    return handle.getvalue()


def _group_cells(group: dict[str, Any], categories: dict[str, str]) -> dict[str, Any]:
    return {
        "编码": group["code"],
        "名称": group["name_zh"],
        "英文名": group["name_en"],
        "最低年龄": group["min_age"],
        "最高年龄": group["max_age"],
        "人员类别": SPLIT.join(categories.get(c, c) for c in group["categories"]),
        "居住情况": SPLIT.join(words_for(LIVING_WORDS, v) for v in group["living"]),
        "最低评估等级": group["min_assessment_level"],
        "海岛类型": SPLIT.join(words_for(TIER_WORDS, t) for t in group["island_tiers"]),
        "说明": group["description"],
    }


def _item_cells(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "编码": item["code"],
        "名称": item["name_zh"],
        "英文名": item["name_en"],
        "类别": words_for(CATEGORY_WORDS, item["category"]),
        "服务类型": words_for(KIND_WORDS, item["kind"]),
        "数量": item["quantity"],
        "单位": item["unit"],
        "周期": words_for(PERIOD_WORDS, item["period"]),
        "适用年龄": item["min_age"],
        "政府承担%": item["government_bp"] // 100,
        "慈善承担%": item["charity_bp"] // 100,
        "个人承担%": item["elder_bp"] // 100,
        "单价(元)": item["unit_price_fen"] / 100,
        "每单位最短分钟": item["min_minutes"],
        "服务方式": words_for(DELIVERY_WORDS, item["delivery"]),
        "离岛方式": words_for(DELIVERY_WORDS, item["outer_delivery"])
        if item["outer_delivery"]
        else "",
        "小岛方式": words_for(DELIVERY_WORDS, item["small_delivery"])
        if item["small_delivery"]
        else "",
        "小岛数量": item["small_quantity"],
        "适用对象": SPLIT.join(item["groups"]),
        "牵头部门": item["department"],
        "说明": item["description"],
    }
