"""yingji.resources.registry"""
