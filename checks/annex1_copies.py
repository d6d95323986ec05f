"""``annex1.copies_differ``: the spreadsheet and the signed, stamped scan of one Attachment 1.

A school that sends both sends one table twice: the spreadsheet the office reads exactly, and
the paper its leader signed and stamped. When they disagree on a row (a certificate in one and
not the other), a level or a number, what was signed is not what was sent as data, and a
person must say which stands. The scan is read by OCR, so only what OCR read in full is
compared (a cell it could not read is not a difference), its misread certificate names are
taken as the spreadsheet's names they are a character or two off, and the finding is a
warning that says OCR may be the cause. Pure function on the school's facts.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.registry import RuleHit, rule
from checks.school_rules import certificate_key
from extractors.normalize import misread_name
from schemas.annex1 import Annex1Data
from schemas.finding import Severity
from schemas.round_config import RoundConfig
from schemas.school import SchoolFacts

LEVELS = ("初级", "中级", "高级")
_MISREAD = 0.7  # as the school rules: an OCR'd name this close to one written is that name


Row = tuple[str, str | None, int | None]  # (name as written or read, level, scale)


def _new_rows(data: Annex1Data, config: RoundConfig, written: list[str]) -> dict[str, Row]:
    """Certificate key -> row; an OCR'd name is taken as the written one it is close to."""
    rows: dict[str, Row] = {}
    for row in data.new:
        if not row.certificate:
            continue
        name = (misread_name(row.certificate, written, _MISREAD) if written else None) or row.certificate
        rows[certificate_key(name, config)] = (name, row.level, row.scale)
    return rows


def differences(table: Annex1Data, scan: Annex1Data, config: RoundConfig) -> list[str]:
    """What the scan says otherwise than the spreadsheet, in the reviewers' words."""
    written = [row.certificate for row in table.new if row.certificate]
    sent = _new_rows(table, config, [])
    signed = _new_rows(scan, config, written)
    found: list[str] = []
    unread_rows = any(not row.certificate for row in scan.new)
    for key, (name, level, scale) in sent.items():
        if key not in signed:
            if not unread_rows:  # a row OCR could not name may be this one
                found.append(f"新申报“{name}”在电子版中有，扫描件中没有")
            continue
        _, scan_level, scan_scale = signed[key]
        if level in LEVELS and scan_level in LEVELS and level != scan_level:
            found.append(f"新申报“{name}”的等级：电子版为{level}，扫描件为{scan_level}")
        if scale is not None and scan_scale is not None and scale != scan_scale:
            found.append(f"新申报“{name}”的试点规模：电子版为{scale}人，扫描件为{scan_scale}人")
    listed = {certificate_key(name, config) for name in config.certificate_names()}
    for key in sorted(signed.keys() - sent.keys()):
        if key in listed:  # a name OCR garbled into no certificate at all is no extra row
            found.append(f"新申报“{signed[key][0]}”在扫描件中有，电子版中没有")
    sent_total = table.new_total.scale if table.new_total else None
    signed_total = scan.new_total.scale if scan.new_total else None
    if sent_total is not None and signed_total is not None and sent_total != signed_total:
        found.append(f"新申报合计：电子版为{sent_total}人，扫描件为{signed_total}人")
    return found


@rule("annex1.copies_differ", Severity.WARNING, "附件1电子版与盖章扫描件不一致", "school")
def copies_differ(facts: SchoolFacts, config: RoundConfig) -> Iterator[RuleHit]:
    table, scan = facts.latest_annex1(by_ocr=False), facts.latest_annex1(by_ocr=True)
    if table is None or scan is None or table.data is None or scan.data is None:
        return
    found = differences(table.data, scan.data, config)
    if found:
        yield RuleHit(
            message=(
                "附件1电子版与签字盖章的扫描件不一致：" + "；".join(found) + "。扫描件经OCR识别，"
                "也可能是识别有误：请人工对照扫描件核对，以学校签字盖章的为准，如电子版有误请学校更正后重新报送。"
            ),
            document=scan.source,
            evidence="；".join(found),
        )
