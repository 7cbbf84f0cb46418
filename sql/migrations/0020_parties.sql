-- 0020_parties: live listening parties (encore-live) and their chat. A
-- party's live state is held by one encore-live process at a time (the
-- lease below) and checkpointed here, so that a restarted process restores
-- it. docs/architecture.md ("Live") describes the whole.

CREATE TABLE parties (
  id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  -- who started it; `followers` means this user's accepted followers
  owner_id         BIGINT UNSIGNED NOT NULL,
  -- who holds the controls now (the owner, or a co-host it passed to)
  host_id          BIGINT UNSIGNED NOT NULL,
  name             VARCHAR(100) NOT NULL,
  visibility       ENUM('public', 'followers', 'invite') NOT NULL,
  created_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  ended_at         DATETIME(3) NULL,
  -- The playback checkpoint: "item I started at server time S (unix ms)
  -- at rate 1" while playing, "paused at position P" while paused.
  play_state       ENUM('idle', 'playing', 'paused') NOT NULL DEFAULT 'idle',
  play_item        BIGINT UNSIGNED NULL,
  play_started_ms  BIGINT NOT NULL DEFAULT 0,
  play_position_ms BIGINT NOT NULL DEFAULT 0,
  -- The encore-live process holding the party ("address:port") until
  -- live_until; another takes it only once the lease has lapsed.
  live_node        VARCHAR(64) NULL,
  live_until       DATETIME(3) NULL,
  PRIMARY KEY (id),
  -- the live parties, newest first
  KEY parties_live (ended_at, id),
  KEY parties_owner (owner_id, ended_at, id),
  KEY parties_node (live_node),
  CONSTRAINT parties_owner FOREIGN KEY (owner_id)
    REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT parties_host FOREIGN KEY (host_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Everyone who ever joined, and the co-hosts the host named (before they
-- join). A removed member cannot join again.
CREATE TABLE party_members (
  party_id  BIGINT UNSIGNED NOT NULL,
  user_id   BIGINT UNSIGNED NOT NULL,
  role      ENUM('host', 'co_host', 'member') NOT NULL DEFAULT 'member',
  muted     TINYINT(1) NOT NULL DEFAULT 0,
  removed   TINYINT(1) NOT NULL DEFAULT 0,
  joined_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (party_id, user_id),
  KEY party_members_user (user_id, party_id),
  CONSTRAINT party_members_party FOREIGN KEY (party_id)
    REFERENCES parties (id) ON DELETE CASCADE,
  CONSTRAINT party_members_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE party_invites (
  party_id   BIGINT UNSIGNED NOT NULL,
  user_id    BIGINT UNSIGNED NOT NULL,
  invited_by BIGINT UNSIGNED NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (party_id, user_id),
  -- a user's invitations, for the list of parties they may join
  KEY party_invites_user (user_id, party_id),
  CONSTRAINT party_invites_party FOREIGN KEY (party_id)
    REFERENCES parties (id) ON DELETE CASCADE,
  CONSTRAINT party_invites_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT party_invites_by FOREIGN KEY (invited_by)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- The queue: `queued` items in `position` order, `suggested` ones waiting
-- for the host, the `current` one (parties.play_item). An item played out
-- is deleted.
CREATE TABLE party_queue (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  party_id   BIGINT UNSIGNED NOT NULL,
  track_id   BIGINT UNSIGNED NOT NULL,
  state      ENUM('queued', 'suggested', 'current') NOT NULL,
  position   INT UNSIGNED NOT NULL DEFAULT 0,
  added_by   BIGINT UNSIGNED NOT NULL,
  added_at   DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY party_queue_order (party_id, state, position),
  CONSTRAINT party_queue_party FOREIGN KEY (party_id)
    REFERENCES parties (id) ON DELETE CASCADE,
  CONSTRAINT party_queue_track FOREIGN KEY (track_id)
    REFERENCES tracks (id) ON DELETE CASCADE,
  CONSTRAINT party_queue_user FOREIGN KEY (added_by)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- Chat. Ids count up per party from 1, given by the process holding the
-- party (one at a time: the lease), so a message is broadcast before it is
-- written and written in batches.
CREATE TABLE party_messages (
  party_id   BIGINT UNSIGNED NOT NULL,
  id         BIGINT UNSIGNED NOT NULL,
  user_id    BIGINT UNSIGNED NOT NULL,
  body       VARCHAR(1000) NOT NULL,
  reply_to   BIGINT UNSIGNED NULL,
  created_at DATETIME(3) NOT NULL,
  PRIMARY KEY (party_id, id),
  KEY party_messages_user (user_id),
  CONSTRAINT party_messages_party FOREIGN KEY (party_id)
    REFERENCES parties (id) ON DELETE CASCADE,
  CONSTRAINT party_messages_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE party_reactions (
  party_id   BIGINT UNSIGNED NOT NULL,
  message_id BIGINT UNSIGNED NOT NULL,
  user_id    BIGINT UNSIGNED NOT NULL,
  -- one emoji: compared byte for byte
  emoji      VARCHAR(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (party_id, message_id, user_id, emoji),
  KEY party_reactions_user (user_id),
  CONSTRAINT party_reactions_party FOREIGN KEY (party_id)
    REFERENCES parties (id) ON DELETE CASCADE,
  CONSTRAINT party_reactions_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- A member's listen of a queue item, written once (listens.source 'party').
CREATE TABLE party_plays (
  item_id   BIGINT UNSIGNED NOT NULL,
  user_id   BIGINT UNSIGNED NOT NULL,
  party_id  BIGINT UNSIGNED NOT NULL,
  track_id  BIGINT UNSIGNED NOT NULL,
  played_at DATETIME(3) NOT NULL,
  PRIMARY KEY (item_id, user_id),
  KEY party_plays_party (party_id),
  KEY party_plays_user (user_id, played_at),
  CONSTRAINT party_plays_party FOREIGN KEY (party_id)
    REFERENCES parties (id) ON DELETE CASCADE,
  CONSTRAINT party_plays_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- What the REST side (or another process) did that live connections must
-- learn: every encore-live process reads the rows after the last id it saw,
-- every second. Rows older than an hour are deleted by encore-live.
CREATE TABLE live_events (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  kind       ENUM('party_ended', 'member_removed', 'blocked',
                  'session_revoked', 'sessions_revoked') NOT NULL,
  party_id   BIGINT UNSIGNED NULL,
  -- the member removed, the blocker, the user whose sessions went
  user_id    BIGINT UNSIGNED NULL,
  -- the one blocked; the session revoked, or the one kept
  other_id   BIGINT UNSIGNED NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY live_events_time (created_at)
) ENGINE=InnoDB;
