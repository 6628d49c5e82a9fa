"""yingji.geo"""
