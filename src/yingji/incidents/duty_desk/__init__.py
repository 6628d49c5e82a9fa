"""yingji.incidents.duty_desk"""
