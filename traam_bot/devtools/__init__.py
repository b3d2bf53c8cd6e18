"""Developer tools the bot never imports: local Synapse, sandbox, scripted users, demo, make run."""
