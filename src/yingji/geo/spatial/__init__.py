"""yingji.geo.spatial"""
