"""``zyklus simulate``: a dry run of a period on a throwaway copy, with scenario events."""
