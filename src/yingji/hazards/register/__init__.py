"""Accident hazards (事故隐患): determination, rectification to closure, listed supervision."""
