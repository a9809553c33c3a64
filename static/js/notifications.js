// Live notification badge: filled in by the notifications work.
