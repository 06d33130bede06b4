"""Generate tests/vectors/governance_*.json from an independent model of Aerodrome's formulas.

Independent of peglab (it imports nothing from it) and deliberately naive: it keeps every lock's
state over time and derives each quantity directly from its definition, with no checkpoint
walk, no slope-change table and no binary search.

* A lock ``(amount, end, permanent)`` at time ``t`` has slope ``amount // MAXTIME`` if
  ``end > t`` (else 0), bias ``slope * (end - t)``, and voting power ``amount`` if permanent,
  else ``max(slope * (end - t), 0)``.
* The global point at ``t`` is the sum of the live locks' slopes and biases; the total supply of
  voting power at ``t`` is the sum of every lock's power, using for each lock its state after
  the last operation at or before ``t``.
* Minter (docs/governance-spec.md §4): ``E`` from the schedule (x1.03 while the epoch count is below 15, then
  x0.99; tail below ``tail_start``: ``T * 67 // 10_000``), ``V`` = supply at the flip's week
  start minus one second, Aerodrome rebase ``E (1 - V/T)^2 / 2`` and Velodrome team share
  ``rate * (growth + E) // 10_000``, each written out as the sequence of floors.
* Rebase distributor: GOV received at a flip is spread over [last checkpoint, now) pro rata to
  the seconds falling in each week; a lock earns, per completed week ``w``,
  ``power(w + WEEK - 1) * tokens[w] // max(supply(w + WEEK - 1), 1)``; claims during the
  scenario compound into live locks (changing later powers) or are paid out if expired.

Run: ``.venv/bin/python tools/gen_governance_vectors.py`` (writes three JSON files). CI only
reads the JSON.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

WEEK = 7 * 24 * 3600
MAXTIME = 4 * 365 * 24 * 3600
E18 = 10**18
START = 1_700_000_000
OUT = Path(__file__).resolve().parent.parent / "tests" / "vectors"


# -- formulas, step by step ------------------------------------------------------------------
def floor_div(a: int, b: int) -> int:
    q, _ = divmod(a, b)
    return q


def rebase_aero(e: int, v: int, t: int) -> int:
    if t == 0:
        return 0
    free = t - v
    step1 = floor_div(e * free, t)
    step2 = floor_div(step1 * free, t)
    return floor_div(step2, 2)


def rebase_velo(e: int, v: int, t: int) -> int:
    if t == 0:
        return 0
    x = floor_div(e * v, t)
    x = floor_div(x * v, t)
    x = floor_div(x * v, t)
    return floor_div(x, 2)


def team_velo(rate: int, growth: int, e: int) -> int:
    return floor_div(rate * (growth + e), 10_000)


def team_aero(rate: int, growth: int, weekly_next: int) -> int:
    return floor_div(rate * (growth + weekly_next), 10_000 - rate)


# -- naive lock model ------------------------------------------------------------------------
class Model:
    def __init__(self) -> None:
        self.timeline: dict[
            int, list[tuple[int, int, int, bool]]
        ] = {}  # id -> [(t, amt, end, perm)]
        self.next_id = 0
        self.first_ts: dict[int, int] = {}

    def set(self, i: int, t: int, amount: int, end: int, perm: bool) -> None:
        self.timeline.setdefault(i, []).append((t, amount, end, perm))
        self.first_ts.setdefault(i, t)

    def state(self, i: int, t: int) -> tuple[int, int, bool] | None:
        cur = None
        for ts, a, e, p in self.timeline.get(i, []):
            if ts <= t:
                cur = (a, e, p)
        return cur

    def now_state(self, i: int) -> tuple[int, int, bool]:
        _, a, e, p = self.timeline[i][-1]
        return a, e, p

    def power(self, i: int, t: int) -> int:
        s = self.state(i, t)
        if s is None:
            return 0
        a, e, p = s
        if p:
            return a
        if e <= t:
            return 0
        return (a // MAXTIME) * (e - t)

    def supply(self, t: int) -> int:
        return sum(self.power(i, t) for i in self.timeline)

    def user_point(self, i: int, t: int) -> list[int]:
        a, e, p = self.now_state(i)
        slope = a // MAXTIME if (e > t and a > 0 and not p) else 0
        return [slope * (e - t) if slope else 0, slope, t, a if p else 0]

    def global_point(self, t: int) -> list[int]:
        bias = slope = perm = 0
        for i in self.timeline:
            a, e, p = self.now_state(i)
            if p:
                perm += a
            elif e > t and a > 0:
                s = a // MAXTIME
                slope += s
                bias += s * (e - t)
        return [bias, slope, t, perm]

    def live(self) -> list[int]:
        return [i for i in self.timeline if self.now_state(i)[0] > 0]


def week_floor(t: int) -> int:
    return t - t % WEEK


# -- scenario --------------------------------------------------------------------------------
def scenario(seed: int, n_weeks: int, initial: dict[str, int]) -> dict[str, object]:
    """Random lock operations and weekly flips; expected points, flips and rebase claims."""
    rng = random.Random(seed)
    m = Model()
    ops: list[dict[str, object]] = []
    balances = dict(initial)
    supply = sum(initial.values())
    weekly = 10_000_000 * E18
    tail_start = 8_969_150 * E18
    epoch_count = 0
    active_period = week_floor(START)
    rb_last_time = week_floor(START)
    rb_tokens: dict[int, int] = {}
    owners: dict[int, str] = {}
    users = sorted(initial)
    t = START
    flip_t = week_floor(START) + WEEK + 2 * 3600 + 17

    cursors: dict[int, int] = {}

    def record(op: dict[str, object], ids: list[int], checkpointed: bool = True) -> None:
        op["t"] = t
        op["points"] = {str(i): m.user_point(i, t) for i in ids}
        op["global"] = m.global_point(t) if checkpointed else None
        ops.append(op)

    def rebase_due(i: int) -> tuple[int, int]:
        """(amount, new week cursor) a rebase claim of lock ``i`` would pay now."""
        last_week = week_floor(rb_last_time)
        cursor = cursors.get(i, 0)
        if cursor == 0:
            cursor = -(-m.first_ts[i] // WEEK) * WEEK  # first week boundary at or after creation
        if cursor >= last_week:
            return 0, cursor
        cursor = max(cursor, week_floor(START))
        total = 0
        for _ in range(50):
            if cursor >= last_week:
                break
            s = m.supply(cursor + WEEK - 1)
            total += floor_div(m.power(i, cursor + WEEK - 1) * rb_tokens.get(cursor, 0), s or 1)
            cursor += WEEK
        return total, cursor

    while t < START + n_weeks * WEEK:
        t += rng.choice([1, 600, 3600, 86_400, 2 * 86_400, 3 * 86_400 + 11])
        if t >= flip_t:
            t = flip_t
            epoch_count += 1
            period = week_floor(t)
            active_period = period
            e = weekly
            tail = e < tail_start
            if tail:
                e = floor_div(supply * 67, 10_000)
            else:
                weekly = floor_div(weekly * (10_300 if epoch_count < 15 else 9_900), 10_000)
            v = m.supply(period - 1)
            g = rebase_aero(e, v, supply)
            team = team_velo(500, g, e)
            # distributor: spread g over [rb_last_time, t) by seconds per week
            span = t - rb_last_time
            w = week_floor(rb_last_time)
            cursor = rb_last_time
            while True:
                nxt = w + WEEK
                if t < nxt:
                    part = g if span == 0 else floor_div(g * (t - cursor), span)
                    rb_tokens[w] = rb_tokens.get(w, 0) + part
                    break
                part = floor_div(g * (nxt - cursor), span)
                rb_tokens[w] = rb_tokens.get(w, 0) + part
                cursor = nxt
                w = nxt
            rb_last_time = t
            ops.append(
                {
                    "op": "flip",
                    "t": t,
                    "emission": e,
                    "growth": g,
                    "team": team,
                    "ve_supply": v,
                    "total_supply": supply,
                    "tail": tail,
                    "active_period": active_period,
                }
            )
            supply += e + g + team
            flip_t = week_floor(t) + WEEK + rng.choice([0, 1, 3600, 7 * 3600 + 5, 86_400])
            continue
        kind = rng.choice(
            [
                "create",
                "create",
                "create",
                "increase",
                "extend",
                "permanent",
                "unlock",
                "merge",
                "withdraw",
                "split",
                "claim",
                "claim",
            ]
        )
        live = m.live()
        if kind == "create" or not live:
            user = rng.choice(users)
            if balances[user] < E18:
                continue
            value = rng.randint(1, balances[user] // 4 + 1)
            duration = rng.choice(
                [WEEK, 2 * WEEK + 5, 30 * 86_400, 365 * 86_400, MAXTIME - 1, MAXTIME]
            )
            end = week_floor(t + duration)
            if end <= t:
                continue
            m.next_id += 1
            i = m.next_id
            owners[i] = user
            balances[user] -= value
            m.set(i, t, value, end, False)
            record(
                {"op": "create_lock", "owner": user, "value": value, "duration": duration, "id": i},
                [i],
            )
            continue
        i = rng.choice(live)
        a, e, p = m.now_state(i)
        expired = e <= t and not p
        user = owners[i]
        if kind == "increase":
            if expired or balances[user] < 2:
                continue
            value = rng.randint(1, balances[user] // 4 + 1)
            balances[user] -= value
            m.set(i, t, a + value, e, p)
            record({"op": "increase_amount", "owner": user, "id": i, "value": value}, [i])
        elif kind == "extend":
            if p or expired:
                continue
            duration = rng.choice([52 * WEEK, 2 * 365 * 86_400, MAXTIME])
            new_end = week_floor(t + duration)
            if new_end <= e:
                continue
            m.set(i, t, a, new_end, False)
            record(
                {"op": "increase_unlock_time", "owner": user, "id": i, "duration": duration}, [i]
            )
        elif kind == "permanent":
            if p or expired:
                continue
            m.set(i, t, a, 0, True)
            record({"op": "lock_permanent", "owner": user, "id": i}, [i])
        elif kind == "unlock":
            if not p:
                continue
            m.set(i, t, a, week_floor(t + MAXTIME), False)
            record({"op": "unlock_permanent", "owner": user, "id": i}, [i])
        elif kind == "withdraw":
            if p or e > t:
                continue
            balances[user] += a
            m.set(i, t, 0, 0, False)
            record({"op": "withdraw", "owner": user, "id": i}, [i])
        elif kind == "merge":
            others = [j for j in live if j != i and owners[j] == user]
            if not others or p:
                continue
            j = rng.choice(others)
            a2, e2, p2 = m.now_state(j)
            if e2 <= t and not p2:
                continue
            m.set(i, t, 0, 0, False)
            if p2:
                m.set(j, t, a2 + a, 0, True)
            else:
                m.set(j, t, a2 + a, max(e, e2), False)
            record({"op": "merge", "owner": user, "from": i, "to": j}, [i, j])
        elif kind == "claim":
            if active_period != week_floor(t):
                continue  # the minter has not run this week: the engine refuses
            amount, cursor = rebase_due(i)
            if amount == 0 and cursor == cursors.get(i, 0):
                continue  # nothing to claim: refused
            cursors[i] = cursor
            if amount and t >= e and not p:
                balances[user] += amount  # expired: paid out, the lock is not touched
                record({"op": "claim_rebase", "owner": user, "id": i, "amount": amount}, [], False)
            elif amount:
                m.set(i, t, a + amount, e, p)  # compounded into the lock
                record({"op": "claim_rebase", "owner": user, "id": i, "amount": amount}, [i])
            else:
                record({"op": "claim_rebase", "owner": user, "id": i, "amount": 0}, [], False)
        elif kind == "split":
            if expired or a < 2:
                continue
            amt = rng.randint(1, a - 1)
            m.set(i, t, 0, 0, False)
            k1, k2 = m.next_id + 1, m.next_id + 2
            m.next_id += 2
            owners[k1] = owners[k2] = user
            m.set(k1, t, a - amt, e, p)
            m.set(k2, t, amt, e, p)
            record(
                {"op": "split", "owner": user, "id": i, "amount": amt, "new": [k1, k2]}, [i, k1, k2]
            )

    # queries: past, present and (a little) future
    end_t = t
    times = sorted(
        {START, START + 1, *(rng.randint(START - WEEK, end_t + 8 * WEEK) for _ in range(60))}
    )
    times += [o["t"] for o in ops[:: max(1, len(ops) // 20)]]  # type: ignore[misc]
    queries = []
    for q in sorted(set(times)):  # type: ignore[type-var]
        queries.append(
            {"t": q, "supply": m.supply(q), "power": {str(i): m.power(i, q) for i in m.timeline}}
        )
    # rebase still claimable per lock at the end
    claimable = {str(i): rebase_due(i)[0] for i in m.timeline}
    return {
        "seed": seed,
        "start": START,
        "initial": initial,
        "ops": ops,
        "end": end_t,
        "queries": queries,
        "rebase_tokens_per_week": {str(k): v for k, v in sorted(rb_tokens.items())},
        "claimable": claimable,
    }


def spec_example() -> dict[str, int]:
    t = 1_700_000_000
    amount = 1000 * E18
    end = week_floor(t + MAXTIME)
    slope = amount // MAXTIME
    return {
        "t": t,
        "amount": amount,
        "end": end,
        "slope": slope,
        "bias": slope * (end - t),
        "power_one_year_later": slope * (end - t - 365 * 86_400),
    }


def formula_cases() -> list[dict[str, int]]:
    rng = random.Random(5)
    cases = [
        (10_000_000 * E18, 400_000_000 * E18, 1_000_000_000 * E18),
        (10_000_000 * E18, 700_000_000 * E18, 1_000_000_000 * E18),
    ]
    cases += [
        (10_000_000 * E18, 0, 1_000_000_000 * E18),
        (10_000_000 * E18, 10**27, 10**27),
        (0, 5, 7),
        (1, 1, 3),
    ]
    for _ in range(40):
        t = rng.randint(1, 10**30)
        cases.append((rng.randint(0, 10**26), rng.randint(0, t), t))
    out = []
    for e, v, t in cases:
        g_a = rebase_aero(e, v, t)
        out.append(
            {
                "emission": e,
                "ve_supply": v,
                "total_supply": t,
                "rebase_aerodrome": g_a,
                "rebase_velodrome": rebase_velo(e, v, t),
                "team_velodrome": team_velo(500, g_a, e),
                "team_aerodrome": team_aero(500, g_a, floor_div(e * 10_300, 10_000)),
                "weekly_next": floor_div(e * 10_300, 10_000),
            }
        )
    return out


def schedules() -> dict[str, object]:
    """Emissions per epoch with a constant total supply (tail inputs constant)."""
    out: dict[str, object] = {}
    supply = 1_000_000_000 * E18
    for name, weekly, grow_until, grow, decay, tail_start, tail_bps in (
        ("aerodrome", 10_000_000 * E18, 15, 10_300, 9_900, 8_969_150 * E18, 67),
        ("velodrome", 15_000_000 * E18, 0, 10_000, 9_900, 6_000_000 * E18, 30),
    ):
        emissions = []
        first_tail = None
        for epoch in range(1, 121):
            if weekly < tail_start:
                emissions.append(floor_div(supply * tail_bps, 10_000))
                first_tail = first_tail or epoch
            else:
                emissions.append(weekly)
                weekly = floor_div(weekly * (grow if epoch < grow_until else decay), 10_000)
        out[name] = {"total_supply": supply, "emissions": emissions, "first_tail_epoch": first_tail}
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    escrow = {
        "generator": "tools/gen_governance_vectors.py",
        "spec_example": spec_example(),
        "scenarios": [
            scenario(
                11, 12, {"alice": 3_000_000 * E18, "bob": 2_000_000 * E18, "carol": 500_000 * E18}
            ),
            scenario(
                29, 30, {"alice": 40_000_000 * E18, "bob": 7 * E18 + 123, "dave": 900_000_000 * E18}
            ),
        ],
    }
    rebase = {
        "generator": "tools/gen_governance_vectors.py",
        "formulas": formula_cases(),
        "schedules": schedules(),
    }
    (OUT / "governance_escrow.json").write_text(json.dumps(escrow, indent=1, sort_keys=True) + "\n")
    (OUT / "governance_rebase.json").write_text(json.dumps(rebase, indent=1, sort_keys=True) + "\n")
    for f in ("governance_escrow.json", "governance_rebase.json"):
        print(f"wrote {OUT / f} ({(OUT / f).stat().st_size} bytes)")


if __name__ == "__main__":
    main()
