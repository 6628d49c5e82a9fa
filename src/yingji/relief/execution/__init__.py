"""yingji.relief.execution"""
