"""yingji.quake"""
