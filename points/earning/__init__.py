"""What volunteer work earns: activity types with their rules and caps, and credits.

Every point a person earns for work (an activity's attendance, an approved claim, later a
work order) is one ``Credit`` row and one ledger transfer from the community's issuance
account, made by ``services.credit_work`` under the person's wallet lock, so caps hold
under concurrent approvals and each piece of work is credited exactly once.
"""
