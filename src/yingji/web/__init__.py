"""yingji.web"""
