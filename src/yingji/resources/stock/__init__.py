"""yingji.resources.stock"""
