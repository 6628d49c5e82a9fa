"""yingji.monitoring.ingestion"""
