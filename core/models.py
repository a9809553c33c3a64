from django.db import models


class VersionCounter(models.Model):
    """A named modification counter, e.g. ``event.12.tracks``; writes bump it, ETags read it."""

    key = models.CharField(max_length=100, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.key} = {self.value}"
