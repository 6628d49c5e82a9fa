"""Inspections (检查) with findings, and administrative penalty cases (行政处罚) with statutory clocks."""
