"""The representatives' suggestion channel (人大代表 / 政协委员)."""
