"""The day each county of a disaster event stabilised (灾情稳定), from which its 核报 are due."""
