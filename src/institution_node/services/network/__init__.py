"""What the network asks of this member.

Linked accounts, Network Activity, home patrons and Get It availability.
"""
