"""yingji.incidents.listing"""
