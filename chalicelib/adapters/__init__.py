"""AWS adapters: PynamoDB models and repositories, EventBridge Scheduler, SNS SMS, SES v2 email.

Every AWS client is created lazily by `chalicelib.wiring`; nothing AWS-shaped happens at import.
"""
