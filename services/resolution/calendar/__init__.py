"""Business calendars per market: working hours, public holidays and quiet hours for messages."""
