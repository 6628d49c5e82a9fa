"""yingji.resources.transfers"""
