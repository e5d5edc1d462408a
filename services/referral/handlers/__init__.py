"""Referral's commands and event handlers: the moves (``referrals``), the case events it
keeps (``case_events``), which event each move publishes (``publishing``) and the
figures (``figures``)."""
