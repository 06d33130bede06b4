"""Protocol mechanisms; each moves value only through the kernel ledger."""
