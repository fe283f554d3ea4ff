"""Households (户) inside grids."""
