"""yingji.resources.shelters"""
