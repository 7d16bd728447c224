"""The sample inbox shipped with strongties and the generator that writes it."""
