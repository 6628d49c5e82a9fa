"""The hazard roll-ups (counts per division, category, level and state; days to close; reports and closures
per month) that the 动态清零 board, the trend and a regulator's list total read."""
