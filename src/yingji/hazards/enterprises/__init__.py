"""Enterprises (生产经营单位) and the users who act for them."""
