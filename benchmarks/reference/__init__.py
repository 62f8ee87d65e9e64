"""PyTorch references of GrokSweep's transformer recipes, for cross-checking the engine.

Each reference is rebuilt from the papers' public code (Grokfast: ironjr/grokfast `main.py`;
NeuralGrok: Blackzxy/NeuralOptGrok; Nanda et al.'s transformer as reproduced in Omnigrok's
modular-addition notebook) and reads the same trial config JSON as `grok-worker trial`.
A measuring stick only: GrokSweep never depends on PyTorch.
"""
