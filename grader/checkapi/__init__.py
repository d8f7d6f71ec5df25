"""The check-author API: the pytest plugin, the learner proxy, expectations and diagnoses."""
