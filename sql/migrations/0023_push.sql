-- 0023_push: push notifications to browsers and phones. Devices and what
-- each user wants pushed; the outbox the API and the batch programs write
-- (one row per thing to tell); the messages encore-push groups from it
-- ("3 new followers") and their delivery to each device, whose states are
-- marked before a request goes out and after its answer is read, so a run
-- killed anywhere resumes without duplicates. docs/architecture.md
-- ("Push") says how.

-- A Web Push subscription, an FCM registration token or an APNs device
-- token. The endpoint, its keys and the tokens are credentials: never
-- logged, never returned whole.
CREATE TABLE push_devices (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id     BIGINT UNSIGNED NOT NULL,
  type        ENUM('webpush', 'fcm', 'apns') NOT NULL,
  -- webpush: the endpoint and the subscription's keys (a P-256 point, 65
  -- bytes uncompressed, and a 16-byte authentication secret)
  endpoint    VARCHAR(2048) CHARACTER SET ascii NULL,
  p256dh      VARBINARY(65) NULL,
  auth        VARBINARY(16) NULL,
  -- fcm and apns: the token; apns: its environment
  token       VARCHAR(512) CHARACTER SET ascii NULL,
  environment ENUM('production', 'development') NULL,
  -- NULL: every kind the user's preferences allow
  kinds       SET('follower', 'follow_request', 'comment', 'reply', 'mention',
                  'party_started', 'party_invite', 'digest', 'new_release')
              NULL,
  -- SHA-256 of type, endpoint or token: one row per device
  handle      BINARY(32) NOT NULL,
  created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  last_ok_at  DATETIME(3) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY push_devices_handle (handle),
  KEY push_devices_user (user_id, id),
  CONSTRAINT push_devices_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- What a user wants pushed (no row: every kind, no quiet hours). Quiet
-- hours are minutes of the local day in the user's time zone
-- (user_preferences.time_zone); start > end spans midnight.
CREATE TABLE push_prefs (
  user_id     BIGINT UNSIGNED NOT NULL,
  kinds       SET('follower', 'follow_request', 'comment', 'reply', 'mention',
                  'party_started', 'party_invite', 'digest', 'new_release')
              NOT NULL,
  quiet_start SMALLINT UNSIGNED NULL,
  quiet_end   SMALLINT UNSIGNED NULL,
  updated_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (user_id),
  CONSTRAINT push_prefs_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- One thing to tell one user, written where it is decided (model/notify.c,
-- encore-recs' weekly digest, new releases). Queued until encore-push
-- groups it into a message (outside the user's quiet hours), or drops it
-- once it has expired.
CREATE TABLE push_outbox (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id     BIGINT UNSIGNED NOT NULL,
  kind        ENUM('follower', 'follow_request', 'comment', 'reply',
                   'mention', 'party_started', 'party_invite', 'digest',
                   'new_release') NOT NULL,
  -- what groups together: kind, and the object when there is one
  group_key   VARCHAR(64) CHARACTER SET ascii NOT NULL,
  actor_id    BIGINT UNSIGNED NULL,
  object_type VARCHAR(16) CHARACTER SET ascii NULL,
  object_id   BIGINT UNSIGNED NULL,
  -- the text a message names (a playlist, an album, a number of tracks)
  detail      VARCHAR(255) NULL,
  created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  expires_at  DATETIME(3) NOT NULL,
  state       ENUM('queued', 'grouped', 'dropped') NOT NULL DEFAULT 'queued',
  message_id  BIGINT UNSIGNED NULL,
  PRIMARY KEY (id),
  KEY push_outbox_queued (state, user_id, id),
  CONSTRAINT push_outbox_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- A message as it is sent: what the user reads, the same on every device.
CREATE TABLE push_messages (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id     BIGINT UNSIGNED NOT NULL,
  kind        VARCHAR(16) CHARACTER SET ascii NOT NULL,
  title       VARCHAR(255) NOT NULL,
  body        VARCHAR(1024) NOT NULL,
  count       INT UNSIGNED NOT NULL DEFAULT 1,
  object_type VARCHAR(16) CHARACTER SET ascii NULL,
  object_id   BIGINT UNSIGNED NULL,
  urgency     ENUM('low', 'normal', 'high') NOT NULL DEFAULT 'normal',
  created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  expires_at  DATETIME(3) NOT NULL,
  PRIMARY KEY (id),
  KEY push_messages_created (created_at),
  CONSTRAINT push_messages_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- A message to one device. queued -> sending (marked and committed before
-- the request) -> sent | queued (retry at next_at) | dropped (expired,
-- refused) ; a delivery left `sending` by a killed run is sent again under
-- the same collapse id, which replaces rather than repeats.
CREATE TABLE push_deliveries (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  message_id  BIGINT UNSIGNED NOT NULL,
  device_id   BIGINT UNSIGNED NOT NULL,
  state       ENUM('queued', 'sending', 'sent', 'dropped') NOT NULL
              DEFAULT 'queued',
  attempts    SMALLINT UNSIGNED NOT NULL DEFAULT 0,
  next_at     DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  sending_at  DATETIME(3) NULL,
  run_id      BIGINT UNSIGNED NULL,
  -- why it was dropped, or the last failure
  outcome     VARCHAR(64) CHARACTER SET ascii NULL,
  done_at     DATETIME(3) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY push_deliveries_once (message_id, device_id),
  KEY push_deliveries_due (state, next_at),
  KEY push_deliveries_run (run_id),
  CONSTRAINT push_deliveries_message FOREIGN KEY (message_id)
    REFERENCES push_messages (id) ON DELETE CASCADE,
  CONSTRAINT push_deliveries_device FOREIGN KEY (device_id)
    REFERENCES push_devices (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- Credentials encore-push keeps between runs, sealed (core/seal.h): FCM's
-- OAuth2 access token until it expires, the APNs provider token for up to
-- an hour.
CREATE TABLE push_credentials (
  channel     VARCHAR(16) CHARACTER SET ascii NOT NULL,
  sealed      VARBINARY(4096) NOT NULL,
  issued_at   DATETIME(3) NOT NULL,
  expires_at  DATETIME(3) NOT NULL,
  PRIMARY KEY (channel)
) ENGINE=InnoDB;
