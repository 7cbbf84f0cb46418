-- 0024_admin: administration, moderation and analytics (the moderator role,
-- suspensions, the audit log, what moderation hides, the service-wide
-- daily rollups) and the runs of the batch programs that monitoring reads.
-- docs/architecture.md, "Administration" and "Monitoring", says how each is
-- used.

-- Roles: user < moderator < admin (editor is the catalogue's own role).
-- A suspended account cannot log in; its sessions end when it is suspended
-- and its public content is hidden from others until it is reinstated.
-- suspended_until NULL with status 'suspended': until reinstated.
ALTER TABLE users
  MODIFY role ENUM('user', 'editor', 'moderator', 'admin') NOT NULL
    DEFAULT 'user',
  ADD COLUMN status ENUM('active', 'suspended') NOT NULL DEFAULT 'active',
  ADD COLUMN suspended_until DATETIME(3) NULL DEFAULT NULL,
  ADD COLUMN suspension_reason VARCHAR(500) NOT NULL DEFAULT '',
  -- the admin user list's filters and sorts
  ADD KEY users_created (created_at, id),
  ADD KEY users_role (role, id),
  ADD KEY users_status (status, id),
  ADD KEY users_display (display_name, id);

-- Every admin and moderator action, append-only: nothing in Encore updates
-- or deletes a row (and the triggers refuse it). The actor's name is kept
-- with the row so the log outlives the account.
CREATE TABLE audit_log (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  actor_id    BIGINT UNSIGNED NULL,
  actor_name  VARCHAR(32) NOT NULL,
  action      VARCHAR(32) NOT NULL,
  object_type VARCHAR(16) NOT NULL,
  object_id   BIGINT UNSIGNED NULL,
  reason      VARCHAR(500) NOT NULL DEFAULT '',
  -- JSON: what else the action needs to be understood (the new role...)
  detail      VARCHAR(1024) NOT NULL DEFAULT '{}',
  ip          VARCHAR(45) NOT NULL DEFAULT '',
  created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY audit_log_actor (actor_id, id),
  KEY audit_log_action (action, id),
  KEY audit_log_object (object_type, object_id, id),
  KEY audit_log_time (created_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'the audit log is append-only';
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'the audit log is append-only';

-- How a report ended: who decided, when, and what was done.
ALTER TABLE reports
  ADD COLUMN resolved_at DATETIME(3) NULL DEFAULT NULL,
  ADD COLUMN resolved_by BIGINT UNSIGNED NULL DEFAULT NULL,
  ADD COLUMN outcome ENUM('dismissed', 'hidden', 'deleted', 'warned',
                          'suspended') NULL DEFAULT NULL,
  -- the queue: open reports, oldest first
  ADD KEY reports_open (status, created_at, id);

-- What moderation hides from everyone but the author and moderators:
-- 'held' by enough distinct reporters and waiting for review, 'hidden' by
-- a moderator.
ALTER TABLE comments
  ADD COLUMN moderation ENUM('visible', 'held', 'hidden') NOT NULL
    DEFAULT 'visible';
ALTER TABLE playlists
  ADD COLUMN moderation ENUM('visible', 'held', 'hidden') NOT NULL
    DEFAULT 'visible';
ALTER TABLE party_messages
  ADD COLUMN moderation ENUM('visible', 'held', 'hidden') NOT NULL
    DEFAULT 'visible';

-- What moderation tells: the author of an object that drew a warning, and
-- each reporter of an object once a moderator decided (model/notify.h).
ALTER TABLE notifications MODIFY kind
  ENUM('follower', 'follow_request', 'follow_accepted', 'comment', 'reply',
       'mention', 'playlist_liked', 'comment_liked', 'party_invite',
       'party_started', 'lastfm_unlinked', 'listenbrainz_unlinked',
       'spotify_unlinked', 'apple_music_unlinked', 'moderation_warning',
       'report_actioned', 'report_dismissed') NOT NULL;

-- Where a listen came from in the app, when the client says
-- ('recommendation', 'search', 'playlist', ...): the share of listens from
-- recommendations is read from it.
ALTER TABLE listens
  ADD COLUMN context VARCHAR(16) NULL DEFAULT NULL,
  -- the daily rollup reads one day of everyone's listens
  ADD KEY listens_time (listened_at);

-- The service-wide daily rollup (UTC days), written by
-- `encore-admin analytics rollup` (cron) for every finished day not yet
-- rolled up, and for the last two again: a year of analytics reads 365 rows.
-- wau and mau: distinct listeners of the 7 and 30 days ending that day.
CREATE TABLE stats_days (
  day          DATE NOT NULL,
  dau          INT UNSIGNED NOT NULL,
  wau          INT UNSIGNED NOT NULL,
  mau          INT UNSIGNED NOT NULL,
  signups      INT UNSIGNED NOT NULL,
  listens      BIGINT UNSIGNED NOT NULL,
  listen_ms    BIGINT UNSIGNED NOT NULL,
  rec_listens  BIGINT UNSIGNED NOT NULL,
  rolled_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (day)
) ENGINE=InnoDB;

-- The most played tracks and artists of each day (the first 100 of each).
CREATE TABLE stats_top (
  day     DATE NOT NULL,
  kind    ENUM('track', 'artist') NOT NULL,
  item_id BIGINT UNSIGNED NOT NULL,
  plays   INT UNSIGNED NOT NULL,
  PRIMARY KEY (day, kind, item_id)
) ENGINE=InnoDB;

-- Retention: of the users who signed up in the week starting `week`, how
-- many listened in the week `weeks_after` weeks later.
CREATE TABLE stats_cohorts (
  week        DATE NOT NULL,
  weeks_after SMALLINT UNSIGNED NOT NULL,
  size        INT UNSIGNED NOT NULL,
  retained    INT UNSIGNED NOT NULL,
  PRIMARY KEY (week, weeks_after)
) ENGINE=InnoDB;

-- One row per run of a batch program: `/metrics` exposes the last of each
-- job (encore_batch_last_success_timestamp_seconds and friends).
CREATE TABLE batch_runs (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  job         VARCHAR(32) NOT NULL,
  started_at  DATETIME(3) NOT NULL,
  ended_at    DATETIME(3) NULL DEFAULT NULL,
  outcome     ENUM('running', 'success', 'failure') NOT NULL
              DEFAULT 'running',
  items       BIGINT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  KEY batch_runs_job (job, outcome, id)
) ENGINE=InnoDB;
