"""The equivalent-work floor: Tsunagi's work for a consultation by hand (README.md)."""
