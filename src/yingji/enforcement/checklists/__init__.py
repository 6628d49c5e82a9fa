"""Offline inspection checklists: sync of device entries, hash chain, seals, evidence photos."""
