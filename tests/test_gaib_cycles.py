"""sAID cycle arithmetic: spec-rule vectors for pro-rata and FIFO fills, and properties."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from peglab.protocols.gaib.cycles import FIFO, PRO_RATA, Fill, Pending, allocate
from peglab.units import WAD, wad

# NAV 1.05; one request of 200 shares carried from cycle 1; this cycle (2): 300 then 500 shares
NAV = wad("1.05")
QUEUE = [Pending(2, 2, wad(300)), Pending(1, 1, wad(200)), Pending(3, 2, wad(500))]


def test_pro_rata__vector__carried_first_then_half_each() -> None:
    fills = allocate(QUEUE, wad(630), NAV, PRO_RATA)
    assert fills == [
        Fill(1, wad(200), wad(210)),  # carried over: paid in full first
        Fill(2, wad(150), wad("157.5")),  # f = 420 / 840 = 0.5
        Fill(3, wad(250), wad("262.5")),
    ]


def test_fifo__vector__arrival_order_then_one_partial() -> None:
    fills = allocate(QUEUE, wad(630), NAV, FIFO)
    assert fills == [
        Fill(1, wad(200), wad(210)),
        Fill(2, wad(300), wad(315)),
        Fill(3, wad(100), wad(105)),
    ]


def test_pro_rata__older_cohort_short__newer_cohort_gets_nothing() -> None:
    fills = allocate(QUEUE, wad(105), NAV, PRO_RATA)
    assert fills == [Fill(1, wad(100), wad(105))]


def test_pro_rata__odd_amounts__floors_keep_dust() -> None:
    q = [Pending(1, 0, 3), Pending(2, 0, 3), Pending(3, 0, 3)]
    fills = allocate(q, 4, WAD, PRO_RATA)  # f = 4/9: each gets floor(3 * 4 / 9) = 1
    assert [f.shares for f in fills] == [1, 1, 1] and sum(f.paid_wad for f in fills) == 3


def test_allocate__no_liquidity_or_nav__no_fills() -> None:
    assert allocate(QUEUE, 0, NAV, PRO_RATA) == [] and allocate(QUEUE, wad(1), 0, FIFO) == []


pendings = st.lists(
    st.tuples(st.integers(0, 3), st.integers(1, 10**24)), min_size=1, max_size=8
).map(lambda xs: [Pending(i + 1, c, s) for i, (c, s) in enumerate(xs)])


@settings(max_examples=150, deadline=None)
@given(
    q=pendings, liquidity=st.integers(0, 10**25), nav=st.integers(1, 3 * WAD), fifo=st.booleans()
)
def test_allocate__any_queue__paid_within_liquidity_and_priority_kept(
    q: list[Pending], liquidity: int, nav: int, fifo: bool
) -> None:
    fills = allocate(q, liquidity, nav, FIFO if fifo else PRO_RATA)
    by_id = {p.request: p for p in q}
    assert sum(f.paid_wad for f in fills) <= liquidity
    for f in fills:
        assert 0 < f.shares <= by_id[f.request].shares
        assert f.paid_wad == f.shares * nav // WAD
    filled = {f.request: f.shares for f in fills}
    # priority: a request of a later cycle receives shares only if every older request is full
    for f in fills:
        c = by_id[f.request].cycle
        for p in q:
            if p.cycle < c:
                assert filled.get(p.request, 0) == p.shares, "a newer cycle was served first"
    if fifo:  # FIFO: at most one partial fill, and it is the last one
        partial = [f for f in fills if f.shares < by_id[f.request].shares]
        assert len(partial) <= 1 and (not partial or partial[0] == fills[-1])
