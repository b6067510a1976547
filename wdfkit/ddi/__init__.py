"""The DDI facade: one module per WDK header, every function under its real name."""
