"""The README's story, one function per step, in the order `deploy.demo.__main__` tells them.

A step prints its title, acts over HTTP as the story's people would, waits until the events it
causes have crossed Kafka (so that they print under it), and says what happened. What a later
step needs, it returns.
"""
