print("grok-worker")
