"""What a fuzz campaign runs on: a world (a chain with protocols), the actions it finds."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..kernel import Chain

__all__ = ["Action", "CallbackFailure", "FuzzWorld"]

Action = tuple[str, Callable[..., Any], object]  # label, bound method, owner object


class CallbackFailure(Exception):
    """Raised on purpose by a fuzz callback: the user's own exception, not an engine bug."""


@dataclass
class FuzzWorld:
    """A chain with protocols built on it, for ``fuzz``.

    Every object on the chain with ``@action`` methods is found (``discover_actions``), so a new
    family is fuzzed as soon as a world builds it. ``users`` are ordinary accounts (senders);
    ``admins`` hold roles; ``invariants`` return error lists (empty: fine); ``consents(owner,
    spender, token)`` says whether ``owner`` lets ``spender`` move its ``token`` (vault operators,
    allowances...);
    ``moves`` change the environment (a price report) between calls; ``values`` seed arguments;
    ``terminal`` actions (a shutdown, a pool's kill) are called only in the second half of a
    run, so the live system and the one after them are both explored; ``privileged`` maps an
    action to the role whose documented power over any holder's balance it exercises (a bridge
    burning what leaves the chain, a servicer collecting a deal's payment): called by a holder of
    that role, it is exempt from the consent check; ``custody`` prefixes
    name protocol accounts a family has not reserved as engine accounts (its own code still
    sends as them): the consent check treats them as engine accounts.
    """

    chain: Chain
    users: Sequence[str]
    admins: Sequence[str] = ("gov",)
    invariants: Sequence[Callable[[], list[str]]] = ()
    consents: Callable[[str, str, str], bool] = lambda owner, spender, token: False
    moves: Sequence[Callable[[random.Random], None]] = ()
    values: Sequence[object] = ()
    terminal: Sequence[str] = ()
    privileged: Mapping[str, str] = field(default_factory=dict)
    custody: Sequence[str] = ()
