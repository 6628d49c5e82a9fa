"""Township disaster information officers (灾害信息员) and the escalation of overdue reports."""
