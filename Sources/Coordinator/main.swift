print("grok-coord: coming soon")
