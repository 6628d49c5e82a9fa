"""yingji.hazards"""
