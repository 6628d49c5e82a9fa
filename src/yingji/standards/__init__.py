"""Versioned data files: official grades, thresholds, catalogues and coefficients, each with its source."""
