"""yingji.relief"""
