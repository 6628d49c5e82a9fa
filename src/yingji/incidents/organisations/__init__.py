"""yingji.incidents.organisations"""
