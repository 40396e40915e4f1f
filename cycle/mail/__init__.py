"""The mail pipeline: due points, drafts, composition, the outbox and its delivery."""
