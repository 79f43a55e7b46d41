"""Hanoi health lake."""
