"""Bulk import of the elder registers bureaus keep today (Excel .xlsx or CSV).

Every bad row is reported with its spreadsheet row number and reason; the good rows are
imported; each row is written whole (elder, categories, audit event) or not at all.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction

from tongzhou.access.roles import Cap
from tongzhou.access.scope import require_cap
from tongzhou.audit.services import audit_record
from tongzhou.core import clock
from tongzhou.core.errors import DomainError, ValidationFailed
from tongzhou.elders.models import Category, Elder, LivingArrangement
from tongzhou.elders.services import (
    ElderInput,
    _save_new,
    duplicate_error,
    elder_build,
    registered_among,
)
from tongzhou.geo.models import Region, RegionLevel

# Column headers as bureaus write them, mapped to our fields.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证", "id_number"),
    "phone": ("联系电话", "电话", "手机", "手机号", "phone"),
    "village_code": ("村社区代码", "村(社区)代码", "村（社区）代码", "village_code"),
    "village": (
        "村社区",
        "村(社区)",
        "村（社区）",
        "居住村(社区)",
        "居住村（社区）",
        "所在村社区",
        "village",
    ),
    "town": ("镇街道", "镇(街道)", "镇（街道）", "乡镇街道", "乡镇(街道)", "乡镇（街道）", "town"),
    "address": ("住址", "居住地址", "家庭住址", "address"),
    "hukou": ("户籍地", "户籍所在地", "户籍", "hukou"),
    "living_arrangement": ("居住状况", "居住情况", "living_arrangement"),
    "categories": ("人员类别", "类别", "对象类别", "categories"),
}
REQUIRED = ("name", "id_number")
LIVING_LABELS = {
    "独居": LivingArrangement.ALONE,
    "空巢": LivingArrangement.EMPTY_NEST,
    "纯老": LivingArrangement.EMPTY_NEST,
    "与家人同住": LivingArrangement.WITH_FAMILY,
    "与子女同住": LivingArrangement.WITH_FAMILY,
    "与家人": LivingArrangement.WITH_FAMILY,
    "机构": LivingArrangement.INSTITUTION,
    "养老机构": LivingArrangement.INSTITUTION,
    "其他": LivingArrangement.OTHER,
    **{value: value for value in LivingArrangement.values},
}
_SPLIT = re.compile(r"[、,;，；/\s]+")


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    code: str
    message_zh: str
    message_en: str


@dataclass
class ImportReport:
    total_rows: int = 0
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def failed_rows(self) -> list[int]:
        return sorted({error.row for error in self.errors})


class ImportFileError(DomainError):
    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(code=code, message_zh=zh, message_en=en, status=400)


def _norm_header(value: Any) -> str:
    return re.sub(r"\s+", "", str(value or "")).lower()


_HEADER_LOOKUP = {
    _norm_header(alias): key for key, aliases in HEADER_ALIASES.items() for alias in aliases
}


# No field of a register holds more (an address is the longest); a longer cell is a damaged
# or hostile file.
MAX_CELL_CHARS = 500


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_rows(handle: IO[bytes], filename: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (spreadsheet row number, {field: text}) for each non-empty data row."""
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        raw_rows: Iterable[Iterable[Any]] = _xlsx_rows(handle)
    elif suffix in (".csv", ".txt"):
        raw_rows = _csv_rows(handle)
    else:
        raise ImportFileError(
            "import_file_type",
            "只支持 Excel（.xlsx）或 CSV 文件。",
            "Only Excel (.xlsx) or CSV files are accepted.",
        )
    iterator = iter(raw_rows)
    header = next(iterator, None)
    if header is None:
        raise ImportFileError("import_file_empty", "文件是空的。", "The file is empty.")
    columns = [_HEADER_LOOKUP.get(_norm_header(cell)) for cell in header]
    missing = [key for key in REQUIRED if key not in columns]
    if "village" not in columns and "village_code" not in columns:
        missing.append("village")
    if missing:
        names = "、".join(HEADER_ALIASES[key][0] for key in missing)
        raise ImportFileError(
            "import_missing_columns",
            f"缺少必需的列：{names}。",
            f"Required columns are missing: {', '.join(missing)}.",
        )
    for number, values in data_rows(iterator):
        row = {key: value for key, value in zip(columns, values, strict=False) if key}
        yield number, row


def data_rows(
    rows: Iterable[Iterable[Any]], where_zh: str = "", where_en: str = ""
) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row number, cell texts) of each non-empty row after the header; a cell
    holding a NUL or longer than any field is a damaged or hostile file, refused whole."""
    for number, raw in enumerate(rows, start=2):
        values = [_cell(v) for v in raw]
        if not any(values):
            continue
        if any("\x00" in value or len(value) > MAX_CELL_CHARS for value in values):
            raise ImportFileError(
                "import_cell_invalid",
                f"{where_zh}第 {number} 行有单元格含空字符（NUL）或超过 {MAX_CELL_CHARS} 字，"
                "请检查文件。",
                f"{where_en}Row {number} has a cell holding a NUL character or over "
                f"{MAX_CELL_CHARS} characters; check the file.",
            )
        yield number, values


def cell_text(value: Any) -> str:
    return _cell(value)


def _xlsx_rows(handle: IO[bytes]) -> Iterator[tuple[Any, ...]]:
    # openpyxl is heavy to import and only register imports read Excel.
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:
        raise ImportFileError(
            "import_file_unreadable", "无法读取该 Excel 文件。", "The Excel file cannot be read."
        ) from exc
    try:
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    finally:
        workbook.close()


def _csv_rows(handle: IO[bytes]) -> Iterator[list[str]]:
    data = handle.read()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError(
            "import_file_encoding",
            "无法识别文件编码（请使用 UTF-8 或 GBK）。",
            "Unknown text encoding (use UTF-8 or GBK).",
        )
    try:
        yield from csv.reader(io.StringIO(text))
    except csv.Error as error:  # a NUL byte, a cell beyond the csv module's limit …
        raise ImportFileError(
            "import_file_unreadable",
            "CSV 文件格式有误（含空字符或过长的单元格），无法读取。",
            "The CSV file cannot be read (a NUL byte or an overlong cell).",
        ) from error


def _village_aliases(name: str) -> set[str]:
    aliases = {name}
    for suffix, replacement in (
        ("社区居民委员会", "社区"),
        ("社区居委会", "社区"),
        ("村村民委员会", "村"),
        ("村村委会", "村"),
        ("村民委员会", "村"),
        ("村委会", "村"),
        ("居委会", ""),
        ("社区", ""),
    ):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            aliases |= {stem + replacement, stem}
    return {alias for alias in aliases if alias}


class _VillageIndex:
    def __init__(self) -> None:
        villages = list(Region.objects.filter(level=RegionLevel.VILLAGE).select_related("parent"))
        self.by_code = {v.code: v for v in villages}
        self.by_town_name: dict[tuple[str, str], Region] = {}
        by_name: dict[str, list[Region]] = {}
        for village in villages:
            assert village.parent is not None
            for alias in _village_aliases(village.name):
                self.by_town_name[(village.parent.name, alias)] = village
                by_name.setdefault(alias, []).append(village)
        self.by_name = dict(by_name.items())
        self.regions_by_name = {r.name: r for r in Region.objects.exclude(level="village")}

    def find(self, row: dict[str, str]) -> Region | list[Region] | None:
        code = row.get("village_code", "")
        if code:
            return self.by_code.get(code)
        name = row.get("village", "")
        if not name:
            return None
        if name.isdigit():
            return self.by_code.get(name)
        town = row.get("town", "")
        if town:
            return self.by_town_name.get((town, name))
        found = self.by_name.get(name, [])
        if len(found) == 1:
            return found[0]
        return found or None


def _row_error(row: int, field_name: str, error: ValidationFailed | DomainError) -> RowError:
    return RowError(row, field_name, error.code, error.message_zh, error.message_en)


def _field_for(code: str) -> str:
    if code.startswith("id_number") or code in ("too_young", "elder_duplicate"):
        return "id_number"
    if code.startswith("residence"):
        return "village"
    if code.startswith("phone"):
        return "phone"
    if code.startswith("name"):
        return "name"
    return "row"


def elders_import(*, actor: Any, handle: IO[bytes], filename: str) -> ImportReport:
    require_cap(actor, Cap.ELDER_EDIT, "导入老年人名册", "import elder registers")
    today = clock.today()
    index = _VillageIndex()
    categories = {c.name_zh: c for c in Category.objects.filter(is_active=True)}
    categories |= {c.code: c for c in categories.values()}
    report = ImportReport()
    valid: list[tuple[int, Elder, ElderInput]] = []
    seen_hashes: dict[str, int] = {}
    max_rows = settings.TONGZHOU["IMPORT_MAX_ROWS"]

    for number, row in read_rows(handle, filename):
        report.total_rows += 1
        if report.total_rows > max_rows:
            raise ImportFileError(
                "import_too_many_rows",
                f"单个文件最多 {max_rows} 行，请拆分后再导入。",
                f"A file may hold at most {max_rows} rows; split it and import again.",
            )
        row_errors, data = _check_row(number, row, index, categories)
        if data is not None:
            try:
                elder = elder_build(actor=actor, data=data, today=today)
            except ValidationFailed as error:
                row_errors.append(_row_error(number, _field_for(error.code), error))
            else:
                first = seen_hashes.get(elder.id_number_hash)
                if first is not None:
                    row_errors.append(
                        RowError(
                            number,
                            "id_number",
                            "elder_duplicate_in_file",
                            f"与第 {first} 行是同一人（身份证号重复）。",
                            f"Same person as row {first} (repeated ID number).",
                        )
                    )
                else:
                    seen_hashes[elder.id_number_hash] = number
                    valid.append((number, elder, data))
        report.errors.extend(row_errors)

    existing = registered_among([elder for _number, elder, _data in valid])
    with transaction.atomic():
        for number, elder, data in valid:
            if elder.id_number_hash in existing:
                report.errors.append(_row_error(number, "id_number", duplicate_error()))
                continue
            try:
                with transaction.atomic():
                    _save_new(actor, elder, data, today)
            except ValidationFailed as error:
                report.errors.append(_row_error(number, _field_for(error.code), error))
            else:
                report.imported += 1
        if report.imported:
            audit_record(
                actor=actor,
                action="elder.import",
                target=actor,
                after={
                    "file": Path(filename).name[:100],
                    "rows": report.total_rows,
                    "imported": report.imported,
                    "failed_rows": report.failed_rows,
                },
                scope_path=getattr(getattr(actor, "region", None), "path", "") or "",
            )
    report.errors.sort(key=lambda e: e.row)
    return report


def _check_row(
    number: int,
    row: dict[str, str],
    index: _VillageIndex,
    categories: dict[str, Category],
) -> tuple[list[RowError], ElderInput | None]:
    """Row-level checks that need no database writes; the input only when there is no error."""
    errors: list[RowError] = []
    for key, zh in (("name", "姓名"), ("id_number", "身份证号")):
        if not row.get(key):
            errors.append(
                RowError(number, key, "missing_field", f"缺少{zh}。", f"The {key} is missing.")
            )
    found = index.find(row)
    residence: Region | None = None
    if isinstance(found, list):
        towns = "、".join(sorted({v.parent.name for v in found if v.parent}))
        errors.append(
            RowError(
                number,
                "village",
                "village_ambiguous",
                f"村（社区）名称“{row.get('village')}”在多个镇街都有（{towns}），请填写镇街。",
                f"Village '{row.get('village')}' exists in several towns; add the town.",
            )
        )
    elif found is None:
        shown = row.get("village_code") or row.get("village") or ""
        if shown:
            errors.append(
                RowError(
                    number,
                    "village",
                    "village_unknown",
                    f"找不到村（社区）“{shown}”。",
                    f"Unknown village or community '{shown}'.",
                )
            )
        else:
            errors.append(
                RowError(
                    number,
                    "village",
                    "missing_field",
                    "缺少村（社区）。",
                    "The village is missing.",
                )
            )
    else:
        residence = found

    living = row.get("living_arrangement", "")
    arrangement: str = LivingArrangement.WITH_FAMILY
    if living:
        if living not in LIVING_LABELS:
            errors.append(
                RowError(
                    number,
                    "living_arrangement",
                    "living_arrangement_invalid",
                    f"居住状况“{living}”无法识别（独居、空巢、与家人同住、机构、其他）。",
                    f"Unknown living arrangement '{living}'.",
                )
            )
        else:
            arrangement = LIVING_LABELS[living]

    chosen: list[Category] = []
    for label in filter(None, _SPLIT.split(row.get("categories", ""))):
        category = categories.get(label)
        if category is None:
            errors.append(
                RowError(
                    number,
                    "categories",
                    "category_unknown",
                    f"人员类别“{label}”不存在。",
                    f"Unknown category '{label}'.",
                )
            )
        elif category not in chosen:
            chosen.append(category)

    hukou_text = row.get("hukou", "")
    hukou_region = index.regions_by_name.get(hukou_text) or index.by_code.get(hukou_text)
    if errors or residence is None:
        return errors, None
    return errors, ElderInput(
        name=row.get("name", ""),
        id_number=row.get("id_number", ""),
        residence=residence,
        phone=row.get("phone", ""),
        address=row.get("address", ""),
        hukou_region=hukou_region,
        hukou_note="" if hukou_region else hukou_text,
        living_arrangement=arrangement,
        categories=chosen,
    )


def report_lines(report: ImportReport, language: str = "zh-hans") -> list[str]:
    english = language.startswith("en")
    lines = [
        (
            f"rows: {report.total_rows}, imported: {report.imported}, "
            f"rejected rows: {len(report.failed_rows)}"
        )
        if english
        else f"共 {report.total_rows} 行，导入 {report.imported} 行，"
        f"{len(report.failed_rows)} 行有错误未导入"
    ]
    for error in report.errors:
        message = error.message_en if english else error.message_zh
        lines.append(
            f"row {error.row} [{error.code}] {message}"
            if english
            else f"第 {error.row} 行 [{error.code}] {message}"
        )
    return lines
