"""Enforcement (执法): random draws of enterprises and inspectors (双随机一公开)."""
