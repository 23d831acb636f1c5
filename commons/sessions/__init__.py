"""Mentorship sessions: proposing and agreeing times, reminders, notes, thanks, calendar feeds."""
