"""The yield-vault family of the lab (docs/yield-vaults.md §8)."""
