DROP TABLE event_tickets;
DROP TABLE events_pruned;
DROP TABLE events;
DROP FUNCTION notify_events_written();
DROP FUNCTION events_in_commit_order();
