"""yingji.incidents.records"""
