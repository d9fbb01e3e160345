# Meetings arrive with the workflow issue (weekly agenda, 研判, minutes).
