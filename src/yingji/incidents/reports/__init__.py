"""yingji.incidents.reports"""
