"""What every page shares: language, templates, security headers, error pages."""
