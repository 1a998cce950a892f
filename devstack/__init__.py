"""The local stack behind `make run`: DynamoDB Local, moto's server for Scheduler/SNS/SES,
`chalice local`, and a runner that plays EventBridge Scheduler and the DynamoDB stream."""
