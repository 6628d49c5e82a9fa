"""yingji.monitoring.sites"""
