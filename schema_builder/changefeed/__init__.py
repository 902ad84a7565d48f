"""The change feed: triggers that record every change of an entity's rows in
``dexgate_change_event``, the actor of dexgate's own writes, the pull API's reads and the
retention of events. See docs/change-feed.md."""
