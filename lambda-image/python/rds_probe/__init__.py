"""Lambda handler that checks an IAM-authenticated TLS connection to PostgreSQL through an RDS Proxy."""
