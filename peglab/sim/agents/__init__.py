"""Agents of the exact runner, one module per kind (docs/risk-spec.md §4; docs/risk-lab.md).

``borrowers`` (CDP borrowers), ``keepers`` (Dutch-auction keepers), ``english`` (English-auction
bidders), ``dealer`` (how agents acquire AI dollars), ``pools`` (panic sellers and LPs around the
peg pools), ``arbitrage`` (the greedy arbitrageur across every pool, the external market and the
PSMs). Each function takes the family's path state first.
"""
