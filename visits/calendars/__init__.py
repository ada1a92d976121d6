"""Reading executives' calendars and finding the customer meetings in them."""
