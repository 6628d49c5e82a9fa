"""yingji.auth"""
