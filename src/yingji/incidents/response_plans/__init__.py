"""yingji.incidents.response_plans"""
