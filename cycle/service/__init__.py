"""The service layer: commands, principals and permissions, handlers, one unit of work."""
