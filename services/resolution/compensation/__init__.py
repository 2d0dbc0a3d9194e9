"""Compensation offers from the SPEC ladder, chosen by cost against expected retention."""
