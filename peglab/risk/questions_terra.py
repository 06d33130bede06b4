"""The Terra question: the validation case ``terra-2022-05`` run as one of the critic's questions.

"Terra Luna, anyone?" The case (docs/validation.md §4) drives UST/LUNA (a mint/burn reference
model on the engine) and an AI dollar (a CDP dollar) through the same historical run of 7-13 May
2022, hour by hour. This module runs the case's two models as they are
(``terra_2022.terra_path`` and ``terra_2022.ai_dollar_side``) and keeps their hourly
prices for the report. The run is deterministic (nothing is drawn): one path, so no interval.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import __version__
from .question_set import TERRA_KEY, TERRA_LINE, Answer, fmt_value
from .rundir import write_json
from .validation.cases import terra_2022 as terra

__all__ = ["AI_BACKED", "AI_LOW", "ASK", "run_terra"]

AI_LOW = "AI dollar lowest price"  # labels of terra.json's numbers (read by risk.question_sweep)
AI_BACKED = "AI dollar backed by >= $1 of collateral every hour"
ASK = "Terra Luna, anyone? Does an AI dollar spiral like UST under Terra's run?"
CONDITION = (
    "the historical run of 7-13 May 2022 (Anchor's $14B, 10%/day for two days, then holders "
    "selling 5% x discount(%)/day), hourly for 7 days, one deterministic path (nothing drawn: "
    "no interval); the UST/LUNA reference model falls faster than history after 48 h "
    "(validation case terra-2022-05 fails its 10 and 11 May targets: docs/validation.md §8)"
)


def run_terra(out_dir: Path) -> Answer:
    """Run both models, write ``terra.json`` (parameters, sources, hourly prices) and answer."""
    ust, luna, multiple = terra.terra_path()
    ai_px: list[float] = []
    ai = terra.ai_dollar_side(ai_px)
    backed = bool(ai["backed"])
    ai_low = float(ai["min_price"])
    spiral = not backed or ai_low < TERRA_LINE
    numbers = [
        _n("UST lowest price", float(ust.min()), "price"),
        _n("UST on 10 May (72 h)", float(ust[72]), "price"),
        _n("LUNA supply multiple at day 7", float(multiple), "x"),
        _n(AI_LOW, ai_low, "price"),
        {"label": AI_BACKED, "value": backed,
         "unit": "flag", "status": "ok", "text": f"AI dollar backed every hour: {'yes' if backed else 'no'}"},
    ]  # fmt: skip
    word = "yes" if spiral else "no"
    lead = (f"Yes: the AI dollar lost its backing or fell below {TERRA_LINE} under the run"
            if spiral else "No: the AI dollar stays collateral-backed while UST spirals")  # fmt: skip
    sentence = f"{lead}; " + "; ".join(x["text"] for x in numbers) + " (one path, no interval)."
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / "terra.json", {
        "peglab_version": __version__,
        "case": terra.NAME,
        "seed": None,
        "draws": 1,
        "parameters": {
            "hours": terra.HOURS, "ust_supply_usd": terra.UST_SUPPLY, "anchor_usd": terra.ANCHOR,
            "anchor_run_per_day": terra.ANCHOR_RUN_PER_DAY, "luna_price_usd": terra.LUNA_PRICE,
            "luna_supply": terra.LUNA_SUPPLY, "ust_pool_side_usd": terra.UST_POOL_SIDE,
            "base_pool_usd": terra.BASE_POOL_USD, "recovery_s": terra.RECOVERY_S,
            "rounds_per_hour": terra.ROUNDS_PER_HOUR, "lfg_reserve_usd": terra.LFG_RESERVE_USD,
            "lfg_defend_below": terra.LFG_DEFEND_BELOW, "luna_pool_usdc": terra.LUNA_POOL_USDC,
        },
        "sources": ["docs/validation.md §4 (inputs, each tagged [P] published or [O] ours)"],
        "conditional_on": CONDITION,
        "series_hours": list(range(terra.HOURS + 1)),
        "ust_price": [round(float(x), 9) for x in ust],
        "luna_price": [round(float(x), 9) for x in luna],
        "ai_dollar_price": [round(x, 9) for x in ai_px],
        "numbers": numbers,
    })  # fmt: skip
    holds = f"the AI dollar stays backed every hour and above {TERRA_LINE}"
    return Answer(TERRA_KEY, ASK, word, sentence, holds, None, None, numbers, CONDITION, "exact",
                  1, out_dir.name, 0.0)  # fmt: skip


def _n(label: str, value: float, unit: str) -> dict[str, Any]:
    text = f"{value:,.0f}x" if unit == "x" else fmt_value(value, unit)
    if unit == "price" and value < 0.001:
        text = f"{value:.2g}"
    return {"label": label, "value": round(value, 9), "unit": unit, "status": "ok",
            "text": f"{label} {text}"}  # fmt: skip
