"""Exhibitions: ordered lists of items at a venue, their entrance codes and visitor page."""
