"""yingji.relief.roads"""
