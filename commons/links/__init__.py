"""Links between communities: proposals, acceptance, scope and revocation."""
