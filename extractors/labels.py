"""Label -> value reading of form-like lines ("报考人数：120人  等级：中级").

Schools fill the same form in paragraphs, in two-column tables and in lists, so a value is
whatever stands between its label and the next label on the same visual line. Labels are
matched on width-folded text and the value is sliced from the original line, so free text
keeps the school's own characters. Ambiguous short labels (学校, 等级, 笔试) count only at the
start of a line, a cell or a list item, so prose that happens to contain them is not read as
a form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractors.normalize import fold_width

# Numbering and bullets in front of a label: 1.  (1)  ①  一、  ●
_ITEM_PREFIX = r"(?:[0-9]{1,2}\s*[.、．)]|[(（][0-9一二三四五六七八九十]{1,2}[)）]|[①-⑳]|[一二三四五六七八九十]{1,2}、|[●•◆■□☑√✓\-*])"
# A parenthetical right after a label: 持证教师（考评员）：
# A note with a number in it is the value itself: 已完成考核人数（25人）.
_LABEL_NOTE = r"(?:\s*[(（][^()（）:：0-9０-９]{0,14}[)）])?"
# What may stand between a label and its value.
_LABEL_TAIL = re.compile(r"\s*(?:[:：]|为|是)?\s*")


@dataclass(frozen=True)
class LabelSpec:
    field: str
    pattern: str
    # Anchored labels count only at the start of a line, a cell or a list item.
    anchored: bool = False
    # A label with ``needs_colon`` counts only when a colon follows it.
    needs_colon: bool = False
    # A glued label may run straight into its value when it opens the line.
    glued: bool = True


@dataclass(frozen=True)
class LabelHit:
    field: str
    label: str
    value: str
    line_index: int


def _compile(spec: LabelSpec) -> re.Pattern[str]:
    return re.compile(f"(?:{spec.pattern}){_LABEL_NOTE}")


class LabelReader:
    """Finds every label of ``specs`` in a line and returns the value after each."""

    def __init__(self, specs: list[LabelSpec]) -> None:
        self._specs = [(spec, _compile(spec)) for spec in specs]

    def read(self, line: str, line_index: int = 0) -> list[LabelHit]:
        folded = fold_width(line)
        candidates: list[tuple[int, int, LabelSpec]] = []
        for spec, pattern in self._specs:
            for match in pattern.finditer(folded):
                if not self._acceptable(folded, match, spec):
                    continue
                candidates.append((match.start(), match.end(), spec))
        # Longest label wins where two overlap (已完成考核人数 over 考核人数).
        candidates.sort(key=lambda c: (c[0], -(c[1] - c[0])))
        chosen: list[tuple[int, int, LabelSpec]] = []
        for candidate in candidates:
            if chosen and candidate[0] < chosen[-1][1]:
                continue
            chosen.append(candidate)
        hits = []
        for index, (start, end, spec) in enumerate(chosen):
            value_end = chosen[index + 1][0] if index + 1 < len(chosen) else len(line)
            tail = _LABEL_TAIL.match(folded, end)
            value_start = tail.end() if tail else end
            value = line[value_start:value_end]
            hits.append(LabelHit(spec.field, line[start:end], _strip_value(value), line_index))
        return hits

    @staticmethod
    def _acceptable(folded: str, match: re.Match[str], spec: LabelSpec) -> bool:
        after = folded[match.end() :]
        # A cell gap after a label is a form's column: as good as a colon.
        has_colon = re.match(r"[ ]*(?:[:：]|\t)", after) is not None
        before = folded[: match.start()]
        at_item_start = (
            before.strip() == ""
            or re.search(r"(?:\s|[;；,，。|])$", before) is not None
            or re.fullmatch(rf"\s*{_ITEM_PREFIX}\s*", before) is not None
            or re.search(rf"(?:\s|[;；,，。]){_ITEM_PREFIX}\s*$", before) is not None
        )
        if spec.anchored and not at_item_start:
            return False
        if spec.needs_colon and not has_colon:
            return False
        if has_colon:
            return True
        if re.search(r"[。！!]\s*$", folded):
            return False  # a sentence ("培训费用由学校承担，…。") is prose, not a form line
        # Schools forget the colon ("实操考场与合作企业共建实训室"): a label that opens an
        # unnumbered line still counts. Numbered lines are section headings (1. 试点证书基本情况).
        if spec.glued and before.strip() == "" and after.strip():
            return True
        # Without a colon a label is only a label where a form would put one (a cell, an item),
        # never in the middle of a sentence such as 现有持证考评员9名.
        return at_item_start and re.match(r"(?:\s|$|为|是|共|约|由|[0-9])", after) is not None


def _strip_value(value: str) -> str:
    value = value.strip()
    value = re.sub(r"^[:：\s]+", "", value)
    value = re.sub(r"[\s;；,，、]+$", "", value)
    return value.strip()
