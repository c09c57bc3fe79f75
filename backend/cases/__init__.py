"""Cases (complaints, consultations, suggestions): filing, the lifecycle and the timeline."""
