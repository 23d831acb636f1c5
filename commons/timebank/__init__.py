"""The time bank: every member's hour account, kept as an append-only ledger of transfers."""
