"""Reads of a sandbox's state for the API and the dashboard. Reads never mutate.

``state_at(world, path)`` serves any family without code for it: the path walks public
attributes and dict/``Table`` keys from the world's roots (``dollars[AUSD].vat.vaults``,
``escrow.locks``), and the object found is rendered as JSON (records as their fields, tables as
key -> value, other objects as their public attributes to a small depth, ints as decimal text).
``overview`` and ``vault_rows`` are the AI-dollar and pool summaries the dashboard charts;
``loan_rows`` the USD.AI loans of the loan page.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from ..errors import InvalidInput, PeglabError
from ..kernel import Chain, Record
from ..store import SandboxWorld
from ..units import RAD, RAY, WAD, YEAR

__all__ = ["loan_rows", "overview", "render", "state_at", "vault_rows"]

_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[([^\]]+)\]")
MAX_ITEMS = 500


def state_at(world: SandboxWorld, path: str, *, offset: int = 0, limit: int = 100) -> Any:
    """The JSON rendering of the object at ``path`` (``state/unknown-path`` if none).

    The path starts at a target path (``ai_dollars.s.dollars[AUSD]``, the longest one that
    prefixes it) or at a root name (``chain``, ``feeds``, ...), then walks attributes and keys.
    """
    targets = world.targets(refresh=False)
    start = max(
        (t for t in targets if path == t or path.startswith((t + ".", t + "["))),
        key=len,
        default=None,
    )
    obj: Any
    if start is not None:
        obj, pos = targets[start], len(start)
    else:
        roots = world.roots()
        m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", path)
        if not m or m.group(0) not in roots:
            raise InvalidInput(
                "state/unknown-path",
                f"paths start with a target or one of {', '.join(sorted(roots))}: {path!r}",
            )
        obj, pos = roots[m.group(0)], m.end()
    while pos < len(path):
        step = _STEP.match(path, pos)
        if step is None:
            raise InvalidInput("state/bad-path", f"cannot parse {path!r} at {path[pos:]!r}")
        attr, key = step.groups()
        obj = _step(obj, attr, key, path)
        pos = step.end()
    return render(obj, depth=2, offset=offset, limit=limit)


def _step(obj: Any, attr: str | None, key: str | None, path: str) -> Any:
    if attr is not None:
        if attr.startswith("_") or (isinstance(obj, Chain) and attr in ("journal", "subscribers")):
            raise InvalidInput("state/unknown-path", f"{attr!r} is not public state")
        if not hasattr(obj, attr) or callable(getattr(obj, attr)):
            raise InvalidInput("state/unknown-path", f"nothing at .{attr} in {path!r}")
        return getattr(obj, attr)
    assert key is not None
    if isinstance(obj, dict):
        for k in (key, int(key) if re.fullmatch(r"-?\d{1,80}", key) else None):
            if k is not None and k in obj:
                return dict.__getitem__(obj, k)
    raise InvalidInput("state/unknown-path", f"no key [{key}] in {path!r}")


def render(obj: Any, *, depth: int = 2, offset: int = 0, limit: int = 100) -> Any:
    """JSON-safe view of a state value: ints as decimal text, bounded in depth and length."""
    limit = max(0, min(limit, MAX_ITEMS))
    if obj is None or isinstance(obj, bool):
        return obj
    if isinstance(obj, int):
        return str(obj)
    if isinstance(obj, str):
        return obj
    if isinstance(obj, (tuple, list, frozenset)):
        return [render(x, depth=depth - 1) for x in list(obj)[:MAX_ITEMS]]
    if isinstance(obj, Record):
        return {k: render(v, depth=depth - 1) for k, v in obj.as_dict().items()}
    if isinstance(obj, dict):
        items = list(dict.items(obj))
        page = items[offset : offset + limit] if depth > 0 else []
        out = {"count": len(items), "offset": offset, "items": {}}
        for k, v in page:
            key = (
                k
                if isinstance(k, str)
                else "/".join(map(str, k))
                if isinstance(k, tuple)
                else str(k)
            )
            out["items"][key] = render(v, depth=depth - 1)  # type: ignore[index]
        return out
    if hasattr(obj, "__dataclass_fields__"):
        return {f: render(getattr(obj, f), depth=depth - 1) for f in obj.__dataclass_fields__}
    if depth <= 0 or not type(obj).__module__.startswith("peglab."):
        return {"$type": type(obj).__name__}
    attrs: dict[str, Any] = {}
    for klass in type(obj).__mro__:
        for s in getattr(klass, "__slots__", ()):
            if not s.startswith("_") and hasattr(obj, s):
                attrs.setdefault(s, getattr(obj, s))
    attrs.update({k: v for k, v in getattr(obj, "__dict__", {}).items() if not k.startswith("_")})
    out2: dict[str, Any] = {"$type": type(obj).__name__}
    for k, v in attrs.items():
        if isinstance(v, Chain):
            continue
        out2[k] = render(v, depth=depth - 1, limit=min(limit, 20))
    return out2


# -- dashboard summaries -----------------------------------------------------------------------


def _dec(amount: int, scale: int = WAD, places: int = 6) -> float:
    """A display number (float, for charts and tables only; never fed back to the engine)."""
    return float(round(Decimal(amount) / Decimal(scale), places))


def _dollars(world: SandboxWorld) -> dict[str, Any]:
    from ..protocols.cdp import AIDollar

    return {p: o for p, o in world.targets().items() if isinstance(o, AIDollar)}


def _pools(world: SandboxWorld) -> dict[str, Any]:
    from ..protocols.amm import ConstantProductPool, StableSwapPool

    return {
        p: o
        for p, o in world.targets().items()
        if isinstance(o, (StableSwapPool, ConstantProductPool))
    }


def _feed_price(world: SandboxWorld, token: str) -> int | None:
    feed = world.feeds.get(token)
    if feed is None:
        return None
    try:
        val, ok, _ = feed.read()
    except PeglabError:
        return None
    return int(val) if ok else None


def _peg(world: SandboxWorld, symbol: str, pools: dict[str, Any], dollars: set[str]) -> Any:
    """Price of one AI dollar in USD through its first pool against a priced non-AI-dollar coin."""
    ledger = world.chain.ledger
    for path, pool in pools.items():
        if symbol not in pool.coins:
            continue
        for other in pool.coins:
            if other == symbol or other in dollars:
                continue
            price = _feed_price(world, other)
            if price is None:
                continue
            unit = 10 ** ledger.token(symbol).decimals
            try:
                out = pool.quote_exact_in(symbol, unit, other)
            except PeglabError:
                continue
            usd = Decimal(out) / Decimal(10 ** ledger.token(other).decimals) * price / WAD
            return {"pool": path, "vs": other, "price": float(round(usd, 6))}
    return None


def _user_vaults(d: Any) -> list[int]:
    """Vault ids of collateral types (the PSM keeps its own vault on an ilk of its own)."""
    return [vid for vid, v in d.vat.vaults.items() if v.ilk in d.collaterals]


def overview(world: SandboxWorld) -> dict[str, Any]:
    """Per AI dollar: supply, debt, collateral ratio, peg, buffer; pools; open auctions."""
    chain = world.chain
    ledger = chain.ledger
    dollars = _dollars(world)
    pools = _pools(world)
    symbols = {d.symbol for d in dollars.values()}
    rows = []
    auctions = []
    for path, d in dollars.items():
        sheet = d.balance_sheet()
        coll_value = 0
        for vid in _user_vaults(d):
            coll_value += d.vault(vid).collateral_value_wad
        debt = d.total_debt_wad
        rows.append(
            {
                "path": path,
                "symbol": d.symbol,
                "supply": _dec(ledger.total_supply(d.symbol)),
                "debt": _dec(debt),
                "collateral_value": _dec(coll_value),
                "collateral_ratio": round(coll_value / debt, 4) if debt else None,
                "surplus": _dec(sheet.surplus_rad, RAD),
                "bad_debt": _dec(sheet.bad_debt_rad, RAD),
                "buffer": _dec(sheet.surplus_rad - sheet.bad_debt_rad, RAD),
                "in_auction": _dec(sheet.in_auction_rad, RAD),
                "vaults": len(_user_vaults(d)),
                "peg": _peg(world, d.symbol, pools, symbols),
                "live": bool(d.vat.state.live),
            }
        )
        for ilk in d.clippers:
            for aid in d.auctions(ilk):
                st = d.auction(ilk, aid)
                auctions.append(
                    {
                        "dollar": d.symbol,
                        "ilk": ilk,
                        "id": aid,
                        "price": _dec(st.price_ray, RAY),
                        "lot": _dec(st.lot_wad),
                        "tab": _dec(st.tab_rad, RAD),
                        "age_s": st.age_s,
                        "needs_redo": st.needs_redo,
                    }
                )
    pool_rows = []
    for path, p in pools.items():
        bal = [
            _dec(ledger.balance_of(c, p.account), 10 ** ledger.token(c).decimals) for c in p.coins
        ]
        pool_rows.append(
            {
                "path": path,
                "id": p.id,
                "kind": type(p).__name__,
                "coins": list(p.coins),
                "balances": bal,
            }
        )
    prices = {t: _dec(v) for t in sorted(world.feeds) if (v := _feed_price(world, t)) is not None}
    return {
        "time": chain.now,
        "state_hash": chain.state_hash(),
        "dollars": rows,
        "pools": pool_rows,
        "auctions": auctions,
        "prices": prices,
    }


def vault_rows(
    world: SandboxWorld, *, owner: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Vaults of every AI dollar (optionally one owner's), newest first, as display rows."""
    out: list[dict[str, Any]] = []
    for path, d in _dollars(world).items():
        for vid in sorted(_user_vaults(d), reverse=True):
            if owner is not None and d.vat.vaults[vid].owner != owner:
                continue
            v = d.vault(vid)
            out.append(
                {
                    "dollar": d.symbol,
                    "path": path,
                    "id": v.id,
                    "ilk": v.ilk,
                    "owner": v.owner,
                    "open": v.is_open,
                    "collateral": str(v.collateral),
                    "ink": _dec(v.ink_wad),
                    "debt": _dec(v.debt_wad),
                    "price": _dec(v.price_wad),
                    "ratio": _dec(v.ratio_wad) if v.ratio_wad is not None else None,
                    "liquidation_price": _dec(v.liquidation_price_wad)
                    if v.liquidation_price_wad is not None
                    else None,
                    "safe": v.safe,
                }
            )
            if len(out) >= limit:
                return out
    return out


def loan_rows(world: SandboxWorld, *, limit: int = 200) -> list[dict[str, Any]]:
    """USD.AI loans of every loan router in the world, as display rows: terms, tranches (lender,
    amount, APR), status, balance, deadline, days late, the next payment and the remaining
    schedule if every payment came on time (projected with the router's rate model)."""
    from ..protocols.usdai import LoanRouter

    out: list[dict[str, Any]] = []
    now = world.chain.now
    for path, router in world.targets().items():
        if not isinstance(router, LoanRouter):
            continue
        for loan, st in router.loans.items():
            t = router.terms[loan]
            unit = 10**18  # the router keeps balances scaled to 18 decimals
            scale = 10 ** router.chain.ledger.token(t.currency).decimals
            tranches = [
                {
                    "index": i,
                    "lender": router.positions.get((loan, i), tr.lender),
                    "amount": _dec(tr.amount, scale, 2),
                    "apr": _dec(tr.rate * YEAR, WAD, 4),
                }
                for i, tr in enumerate(t.tranches)
            ]
            schedule = [
                {"due": due, "principal": _dec(p, scale, 2), "interest": _dec(i, scale, 2)}
                for due, p, i in router.projected_schedule(loan)
            ]
            p, i, fee = router.quote(loan, max(now, st.deadline - 1))
            out.append(
                {
                    "router": path,
                    "id": loan,
                    "borrower": t.borrower,
                    "collateral": t.collateral,
                    "currency": t.currency,
                    "principal": _dec(t.principal, scale, 2),
                    "model": t.model,
                    "term_months": t.duration_s // (30 * 86_400),
                    "interval_days": t.interval_s // 86_400,
                    "origination_fee": _dec(t.origination_fee, scale, 2),
                    "tranches": tranches,
                    "status": st.status,
                    "balance": _dec(st.balance, unit, 2),
                    "deadline": st.deadline,
                    "maturity": st.maturity,
                    "days_late": max(now - st.deadline, 0) // 86_400
                    if st.status == "active"
                    else 0,
                    "next_payment": _dec(p + i + fee, scale, 2) if st.status == "active" else None,
                    "schedule": schedule,
                }
            )
            if len(out) >= limit:
                return out
    return out
