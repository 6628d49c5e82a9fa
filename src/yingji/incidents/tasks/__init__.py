"""yingji.incidents.tasks"""
