"""Centres (Beratungsstellen): the tenants every user and, later, every case belongs to."""
