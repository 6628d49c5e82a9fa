"""yingji.resources.imports"""
