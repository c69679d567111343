"""Coverage: what is missing or stale in each content language, and what each translation was
based on."""
