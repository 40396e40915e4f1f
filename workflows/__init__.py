"""zyklus package."""
