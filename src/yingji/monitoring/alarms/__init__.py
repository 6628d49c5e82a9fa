"""yingji.monitoring.alarms"""
