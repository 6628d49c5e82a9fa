"""yingji.incidents.reporting"""
