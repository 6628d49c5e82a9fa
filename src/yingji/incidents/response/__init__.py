"""yingji.incidents.response"""
