# Notifications are case content (they name cases): administrators never see them, so nothing is registered here.
