"""Duty shifts planned and handed over (值班表、交接班): the open matters a shift hands to the next one and
the next shift's acknowledgement (接班确认). The shifts themselves are the duty desk's ``DutyShift`` rows."""
