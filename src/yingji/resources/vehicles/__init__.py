"""yingji.resources.vehicles"""
