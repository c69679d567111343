"""Codes: the printed short codes and where they are placed, the scan page they open,
GS1 Digital Links, label sheets and bulk CSV import and export."""
