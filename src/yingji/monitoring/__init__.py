"""yingji.monitoring"""
