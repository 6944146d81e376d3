"""What resources add to the plan's schedule: start floors from deliveries and leveling."""
