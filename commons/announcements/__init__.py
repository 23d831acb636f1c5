"""Announcements: a coordinator's notice to every member of their community."""
