"""The framework's objects, in the spirit of KMDF's own classes (FxObject and its family)."""
