"""The one parameter set: ``CollateralParams`` declares every collateral and auction parameter
and its default once; presets, human units and the clipper's live parameters derive from it."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.cdp import build

from peglab.errors import InvalidInput
from peglab.math import apr_to_duty
from peglab.protocols.cdp import CollateralParams, native_ai_token, replace, staked_derivative
from peglab.protocols.cdp.clip import ClipParams
from peglab.protocols.cdp.flip import FlipParams
from peglab.protocols.cdp.params import DEFAULT_APR, PARAMETER_UNITS
from peglab.units import RAD, RAY, WAD


def test_native_preset__default_line__is_the_declared_defaults() -> None:
    assert native_ai_token() == CollateralParams()
    assert CollateralParams().duty_ray == apr_to_duty(DEFAULT_APR)


def test_native_preset__other_line__hole_half_the_line() -> None:
    p = native_ai_token(20_000_000, apr="0.05")
    assert p == replace(
        CollateralParams(),
        line_rad=20_000_000 * RAD,
        hole_rad=10_000_000 * RAD,
        duty_ray=apr_to_duty("0.05"),
    )


def test_staked_preset__differs_from_native__only_where_it_says() -> None:
    native, staked = native_ai_token(5_000_000), staked_derivative(5_000_000)
    changed = {
        f.name
        for f in fields(CollateralParams)
        if getattr(native, f.name) != getattr(staked, f.name)
    }
    assert changed == {"mat_ray", "chop_wad", "hole_rad", "step_s", "tail_s"}


def test_from_units__defaults_in_human_units__round_trip() -> None:
    p = CollateralParams()
    units = p.units()
    assert units["mat"] == Decimal("1.75") and units["line"] == 10_000_000 and units["step"] == 60
    assert CollateralParams.from_units(**units) == p


@given(
    mat=st.decimals("1.00", "5.00", places=4),
    line=st.integers(1, 10**12),
    step=st.integers(1, 10**6),
    chip=st.decimals("0", "0.1", places=6),
)
def test_from_units__any_exact_decimal__converts_exactly(
    mat: Decimal, line: int, step: int, chip: Decimal
) -> None:
    p = CollateralParams.from_units(mat=str(mat), line=line, step=step, chip=chip, apr="0.08")
    assert p.mat_ray * 10**4 == int(mat * 10**4) * RAY
    assert p.line_rad == line * RAD and p.step_s == step
    assert p.chip_wad * 10**6 == int(chip * 10**6) * WAD
    assert p.duty_ray == apr_to_duty("0.08")
    assert p.units()["mat"] == mat


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"matt": "1.75"}, "cdp/unknown-param"),
        ({"mat_ray": 10**27}, "cdp/unknown-param"),
        ({"mat": 1.75}, "cdp/bad-value"),  # a float may not be what was written
        ({"step": "60"}, "cdp/bad-value"),
        ({"apr": True}, "cdp/bad-value"),
    ],
)
def test_from_units__bad_name_or_value__typed_error(values: dict[str, object], code: str) -> None:
    with pytest.raises(InvalidInput) as e:
        CollateralParams.from_units(**values)
    assert e.value.code == code


def test_parameter_units__every_field_but_duty__has_one_human_name() -> None:
    named = {field for field, _ in PARAMETER_UNITS.values()}
    assert named == {f.name for f in fields(CollateralParams)} - {"duty_ray"}


def test_auction_records__live_fields__are_collateral_params_fields() -> None:
    declared = {f.name for f in fields(CollateralParams)}
    assert set(ClipParams.__slots__) - {"stopped", "kicks"} <= declared
    flip_live = set(FlipParams.__slots__) - {"kicks", "tau_s"}  # flip's tau is ``flip_tau_s``
    assert flip_live <= declared


def test_launch__clipper_live_params__equal_the_collateral_params() -> None:
    s = build(buf_ray=RAY * 13 // 10, step_s=90)
    clip = s.d.clippers["ATH-A"]
    p = s.d.collaterals["ATH-A"].params
    for name in set(ClipParams.__slots__) - {"stopped", "kicks"}:
        assert getattr(clip.params, name) == getattr(p, name), name
    assert clip.params.buf_ray == RAY * 13 // 10 and clip.params.step_s == 90
