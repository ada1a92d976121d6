"""Customers and partners, the people at them, who may see each, and who should meet whom."""
