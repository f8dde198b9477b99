"""What a deployment defines: extension schemas, identification keys, the profile schema, business attributes."""
