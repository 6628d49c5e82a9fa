"""yingji.warnings.imports"""
