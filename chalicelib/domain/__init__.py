"""Business rules. Imports no AWS library, no PynamoDB and no Chalice; reads time only from a
Clock."""
