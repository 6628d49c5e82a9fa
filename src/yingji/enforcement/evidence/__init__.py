"""Evidence files of penalty cases (证据)."""
