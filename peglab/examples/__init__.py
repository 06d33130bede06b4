"""Runnable examples and ready-made systems."""
