import ArgumentParser

// Placeholder until the CLI is written below.
print("invoice-shadow")
