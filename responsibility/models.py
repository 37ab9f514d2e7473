"""Responsibility lists and duty records (责任清单 / 履责记实)."""
