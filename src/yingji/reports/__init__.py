"""yingji.reports"""
