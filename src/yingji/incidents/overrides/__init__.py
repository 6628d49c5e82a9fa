"""yingji.incidents.overrides"""
