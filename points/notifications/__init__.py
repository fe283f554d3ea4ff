"""In-app notifications: short, already-rendered Chinese messages a person reads in 通知.

Other services call ``services.notify`` inside their own ``unit_of_work``, so a
notification exists exactly when the act it reports was committed.
"""
