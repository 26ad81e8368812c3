"""The accessibility statement (Erklärung zur Barrierefreiheit, § 7 BITV 2.0, § 10b BGG NRW).

A public page following the model statement of Implementing Decision (EU) 2018/1523: scope,
compliance status with the known barriers, how it was assessed, when it was prepared and last
reviewed, the operator's contact for reporting barriers, and the enforcement procedure.
"""
