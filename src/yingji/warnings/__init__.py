"""yingji.warnings"""
