"""yingji.relief.plans"""
