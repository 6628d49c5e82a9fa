"""Ledgers (台账) of a disaster event: the dead and missing, and households whose houses were damaged."""
