-- 0016_throttles: the counters behind every throttle of the API (login
-- failures per account and address, password checks, registrations and
-- reset mails per address). They live in MariaDB, not memcached, so that a
-- cache outage or restart neither lifts a throttle nor locks anyone out.
-- A subject is the SHA-256 of the throttled thing ("<user id>|<address>",
-- an address, a login name), so no address or name is stored in clear.
-- `hits` counts events since the last quiet spell: a row whose last_at is
-- older than the scope's window starts again from one.
CREATE TABLE throttles (
  scope      VARCHAR(16) NOT NULL,
  subject    BINARY(32) NOT NULL,
  hits       INT UNSIGNED NOT NULL,
  first_at   DATETIME(3) NOT NULL,
  last_at    DATETIME(3) NOT NULL,
  PRIMARY KEY (scope, subject),
  KEY throttles_last (last_at)
) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin;

-- "Known address": a login from an address that has opened a session of the
-- account before is not held back by the per-account ceiling.
ALTER TABLE sessions ADD KEY sessions_user_ip (user_id, ip);
