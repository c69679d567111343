"""Items: the physical things, their texts in every content language, and their visitor page."""
