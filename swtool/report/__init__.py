"""Reporters: findings as text for a person, JSON for programs, JUnit XML for CI."""
