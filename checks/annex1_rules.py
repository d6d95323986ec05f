"""``annex1.*`` rules on the rows read from an Attachment 1 (院校试点信息统计表).

Pure functions: Annex1Data and the round configuration in, RuleHits out. The seal and
signature rules decide only once the vision extractors have looked (``present`` is None
until then), so a spreadsheet is never accused of lacking a stamp nobody looked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from checks.registry import RuleHit, rule
from schemas.annex1 import Annex1Data, ExistingPilotRow, NewApplicationRow
from schemas.finding import Severity
from schemas.round_config import RoundConfig

Row = TypeVar("Row", ExistingPilotRow, NewApplicationRow)

# Money is written to at most four decimals of 万元 (one yuan is 0.0001 万元).
MONEY_TOLERANCE = 0.00005


def _row_label(index: int, row: ExistingPilotRow) -> str:
    parts = [part for part in (row.batch, row.certificate, row.level) if part]
    return f"已有试点第{index}行（{' '.join(parts)}）" if parts else f"已有试点第{index}行"


def _number(value: float) -> str:
    return f"{value:g}"


@rule("annex1.batch_invalid", Severity.ERROR, "已有试点的批次不是本轮认可的批次", "annex1")
def batch_invalid(data: Annex1Data, config: RoundConfig) -> Iterator[RuleHit]:
    valid = "、".join(config.valid_batches)
    for index, row in enumerate(data.existing, start=1):
        if row.batch is None or row.batch in config.valid_batches:
            continue
        yield RuleHit(
            message=f"{_row_label(index, row)}的批次“{row.batch}”不是有效批次（有效批次：{valid}），请学校核对后重新报送。",
            evidence=row.batch,
        )


def _mismatches(
    label: str,
    total: Row | None,
    rows: Sequence[Row],
    columns: Sequence[tuple[str, Callable[[Row], float | int | None]]],
) -> Iterator[RuleHit]:
    if total is None:
        return
    for name, value_of in columns:
        written = value_of(total)
        values = [value_of(row) for row in rows]
        present = [v for v in values if v is not None]
        if written is None or not present:
            continue
        computed = sum(present)
        if abs(written - computed) > MONEY_TOLERANCE:
            yield RuleHit(
                message=(
                    f"{label}合计行的“{name}”填写为{_number(written)}，"
                    f"但各行之和为{_number(computed)}，请学校核对后重新报送。"
                ),
                evidence=f"{name}：合计{_number(written)}；各行之和{_number(computed)}",
            )


@rule("annex1.totals_mismatch", Severity.WARNING, "合计行不等于各行之和", "annex1")
def totals_mismatch(data: Annex1Data, config: RoundConfig) -> Iterator[RuleHit]:
    yield from _mismatches(
        "已有试点",
        data.existing_total,
        data.existing,
        (
            ("试点规模", lambda r: r.scale),
            ("已完成考核人数", lambda r: r.completed),
            ("应缴考核费（万元）", lambda r: r.fee_due_wan),
            ("已缴考核费（万元）", lambda r: r.fee_paid_wan),
        ),
    )
    yield from _mismatches("新申报", data.new_total, data.new, (("申报规模", lambda r: r.scale),))


@rule("annex1.fee_overpaid", Severity.WARNING, "已缴考核费超过应缴考核费", "annex1")
def fee_overpaid(data: Annex1Data, config: RoundConfig) -> Iterator[RuleHit]:
    for index, row in enumerate(data.existing, start=1):
        if row.fee_due_wan is None or row.fee_paid_wan is None:
            continue
        if row.fee_paid_wan - row.fee_due_wan > MONEY_TOLERANCE:
            yield RuleHit(
                message=(
                    f"{_row_label(index, row)}已缴考核费{_number(row.fee_paid_wan)}万元"
                    f"超过应缴考核费{_number(row.fee_due_wan)}万元，请核实是否多缴或填写有误。"
                ),
                evidence=f"应缴{_number(row.fee_due_wan)}万元；已缴{_number(row.fee_paid_wan)}万元",
            )


# The seal and signature rules (annex1.seal_missing, annex1.seal_mismatch,
# annex1.signature_missing) are decided with the plan's in checks.seal_rules.
from checks import seal_rules as _seal_rules  # noqa: E402, F401  (registers them)
