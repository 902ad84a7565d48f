"""Principals and permissions. Minimal until authentication lands."""
