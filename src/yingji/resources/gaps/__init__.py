"""yingji.resources.gaps"""
