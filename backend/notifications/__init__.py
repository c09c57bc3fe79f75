"""Notifications: what happens to a case reaches the people who asked to hear of it.

One outbox (``outbox``), written from the timeline's events in the transaction of the entry,
delivered after commit (``delivery``) through the channels (``channels``): email, SMS, Web Push.
"""
