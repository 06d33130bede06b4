"""Wiring of one ve(3,3) system: GOV token, voting escrow, voter, minter, rebase distributor."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import InvalidInput
from ...kernel import Chain
from .distributor import RewardsDistributor
from .escrow import VotingEscrow
from .formulas import EmissionSchedule
from .minter import Minter
from .voter import Voter

__all__ = ["Governance"]


@dataclass(slots=True)
class Governance:
    """The parts of one governance system; build it with ``Governance.deploy``."""

    chain: Chain
    token: str
    escrow: VotingEscrow
    voter: Voter
    minter: Minter
    distributor: RewardsDistributor

    @classmethod
    def deploy(
        cls,
        chain: Chain,
        *,
        token: str = "GOV",
        name: str | None = None,
        schedule: EmissionSchedule | None = None,
        team: str = "team",
        whitelist: tuple[str, ...] = (),
    ) -> Governance:
        """Create the GOV token (must not exist) and every component; setup code, not an action.

        ``name`` (default: the token symbol) prefixes ledger accounts and registered state.
        The minter's first flip is at the start of the next week. ``whitelist`` tokens (plus
        GOV) may be used for bribes.
        """
        if chain.journal.depth:
            raise InvalidInput("gov/deploy-in-tx", "deploy governance outside a transaction")
        name = token if name is None else name
        chain.ledger.create_token(token, 18, f"{token} governance token")
        escrow = VotingEscrow(chain, token, name=name)
        voter = Voter(chain, escrow, token, name=name)
        distributor = RewardsDistributor(chain, escrow, token, name=name)
        minter = Minter(
            chain,
            escrow,
            voter,
            distributor,
            token,
            schedule or EmissionSchedule.aerodrome(),
            name=name,
            team=team,
        )
        voter.set_minter(minter)
        distributor.set_minter(minter)
        for t in (token, *whitelist):
            chain.ledger.token(t)
            voter.whitelisted_tokens[t] = True
        return cls(chain, token, escrow, voter, minter, distributor)

    def gov_accounting_errors(self) -> list[str]:
        """GOV conservation as the minter accounts it; empty when everything adds up."""
        errors: list[str] = []
        ledger = self.chain.ledger
        st = self.minter.state
        supply = ledger.total_supply(self.token)
        if supply != st.initial_supply + st.minted_total:
            errors.append(
                f"supply {supply} != initial {st.initial_supply} + minted {st.minted_total}"
            )
        minter_balance = ledger.balance_of(self.token, self.minter.account)
        expected = (
            st.emitted_total + st.growth_total + st.team_total - self.voter.state.returned_total
        )
        # GOV anyone sent to the minter (receiving is open) is spent before anything is minted,
        # so minted + received from outside == paid out - returned + balance, with the outside
        # share >= 0 and not tracked: minting beyond that (GOV from nothing) is the failure
        if st.minted_total > expected + minter_balance:
            errors.append(
                f"minted {st.minted_total} > emissions {st.emitted_total} + rebase {st.growth_total} "
                f"+ team {st.team_total} - returned {self.voter.state.returned_total} + minter balance "
                f"{minter_balance}"
            )
        if ledger.balance_of(self.token, self.escrow.account) < self.escrow.state.supply:
            errors.append("escrow holds less GOV than is locked")
        return errors
