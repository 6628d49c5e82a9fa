"""yingji.resources.teams"""
