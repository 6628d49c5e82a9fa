"""Automatic assessment from earthquake catalogue feeds (USGS GeoJSON summary, QuakeML 1.2)."""
