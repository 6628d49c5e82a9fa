"""Disaster statistics (灾情统计): the 2020 regime as data, township reports, review, roll-ups (docs/disasters.md)."""
