"""yingji.incidents"""
