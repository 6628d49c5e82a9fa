"""yingji.resources"""
