-- 0019_social: follows with approval, blocks and mutes, the activity that
-- feeds are made of, comments with their likes, mentions and reports, and
-- the notification inbox. docs/architecture.md ("Social") says how a feed
-- is built from these tables and where privacy is applied (when reading).

-- A follow is accepted at once for an open profile, requested (waiting for
-- the followee to accept) for one that asks for approval.
ALTER TABLE follows
  ADD COLUMN state ENUM('accepted', 'requested') NOT NULL DEFAULT 'accepted'
    AFTER followee_id,
  ADD COLUMN id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE FIRST,
  DROP KEY follows_followee,
  -- followers and requests of a user, newest first
  ADD KEY follows_followee (followee_id, state, id),
  -- whom a user follows, newest first
  ADD KEY follows_follower (follower_id, state, id);

ALTER TABLE user_preferences
  ADD COLUMN follow_policy ENUM('open', 'approval') NOT NULL DEFAULT 'open'
    AFTER history_visibility;

-- What profiles show, kept with every accepted follow and unfollow.
ALTER TABLE users
  ADD COLUMN follower_count INT UNSIGNED NOT NULL DEFAULT 0,
  ADD COLUMN following_count INT UNSIGNED NOT NULL DEFAULT 0,
  -- the heavily followed, whose activity feeds merge when they are read
  ADD KEY users_followers (follower_count);
UPDATE users u SET
  follower_count = (SELECT COUNT(*) FROM follows f
                    WHERE f.followee_id = u.id AND f.state = 'accepted'),
  following_count = (SELECT COUNT(*) FROM follows f
                     WHERE f.follower_id = u.id AND f.state = 'accepted');

-- Private to the one who blocked or muted.
CREATE TABLE blocks (
  blocker_id BIGINT UNSIGNED NOT NULL,
  blocked_id BIGINT UNSIGNED NOT NULL,
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (blocker_id, blocked_id),
  KEY blocks_blocked (blocked_id, blocker_id),
  CONSTRAINT blocks_blocker FOREIGN KEY (blocker_id)
    REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT blocks_blocked FOREIGN KEY (blocked_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE mutes (
  muter_id   BIGINT UNSIGNED NOT NULL,
  muted_id   BIGINT UNSIGNED NOT NULL,
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (muter_id, muted_id),
  CONSTRAINT mutes_muter FOREIGN KEY (muter_id)
    REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT mutes_muted FOREIGN KEY (muted_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- One row per thing worth showing, written once as it happens. A listening
-- session (listens with gaps under 30 minutes) and a run of track additions
-- to one playlist are one row each, updated as they grow: `count` listens or
-- tracks, `first_at`..`last_at`, and `detail` (JSON: the artist heard most,
-- with its count). object_* names what the entry is about; it is checked
-- against the object's current state whenever the entry is read.
CREATE TABLE activities (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  actor_id    BIGINT UNSIGNED NOT NULL,
  kind        ENUM('listened', 'playlist_created', 'playlist_updated',
                   'liked', 'followed', 'commented', 'party_started')
              NOT NULL,
  object_type ENUM('track', 'album', 'playlist', 'user', 'comment', 'party')
              NULL,
  object_id   BIGINT UNSIGNED NULL,
  count       INT UNSIGNED NOT NULL DEFAULT 1,
  first_at    DATETIME(3) NOT NULL,
  last_at     DATETIME(3) NOT NULL,
  detail      VARCHAR(1024) NOT NULL DEFAULT '{}',
  PRIMARY KEY (id),
  KEY activities_actor (actor_id, id),
  KEY activities_actor_kind (actor_id, kind, id),
  -- what is about an object (gone: deleted), and one actor's entry about
  -- it (a like or follow made again replaces the earlier entry)
  KEY activities_object (object_type, object_id, actor_id),
  CONSTRAINT activities_actor FOREIGN KEY (actor_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Fan-out on write: the activities of followees with fewer than
-- FEED_FANOUT_MAX followers are copied here, one row per follower, as they
-- are written; those of more followed users are merged when the feed is
-- read. A row is only a pointer: privacy is decided at read time.
CREATE TABLE feed_items (
  user_id     BIGINT UNSIGNED NOT NULL,
  activity_id BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (user_id, activity_id),
  KEY feed_items_activity (activity_id),
  CONSTRAINT feed_items_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT feed_items_activity FOREIGN KEY (activity_id)
    REFERENCES activities (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- Plain text, 1 to 2,000 characters. A reply's parent is a top-level
-- comment of the same object (one level deep); deleting a comment deletes
-- its replies.
CREATE TABLE comments (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  object_type ENUM('track', 'album', 'playlist') NOT NULL,
  object_id   BIGINT UNSIGNED NOT NULL,
  author_id   BIGINT UNSIGNED NOT NULL,
  parent_id   BIGINT UNSIGNED NULL,
  body        TEXT NOT NULL,
  like_count  INT UNSIGNED NOT NULL DEFAULT 0,
  reply_count INT UNSIGNED NOT NULL DEFAULT 0,
  created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  edited_at   DATETIME(3) NULL,
  PRIMARY KEY (id),
  KEY comments_object (object_type, object_id, parent_id, id),
  KEY comments_top (object_type, object_id, parent_id, like_count, id),
  KEY comments_parent (parent_id, id),
  KEY comments_author (author_id, created_at),
  CONSTRAINT comments_author FOREIGN KEY (author_id)
    REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT comments_parent FOREIGN KEY (parent_id)
    REFERENCES comments (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE comment_likes (
  comment_id BIGINT UNSIGNED NOT NULL,
  user_id    BIGINT UNSIGNED NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (comment_id, user_id),
  KEY comment_likes_user (user_id),
  CONSTRAINT comment_likes_comment FOREIGN KEY (comment_id)
    REFERENCES comments (id) ON DELETE CASCADE,
  CONSTRAINT comment_likes_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE comment_mentions (
  comment_id BIGINT UNSIGNED NOT NULL,
  user_id    BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (comment_id, user_id),
  KEY comment_mentions_user (user_id),
  CONSTRAINT comment_mentions_comment FOREIGN KEY (comment_id)
    REFERENCES comments (id) ON DELETE CASCADE,
  CONSTRAINT comment_mentions_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- Reports for the moderation queue: one per reporter and object.
CREATE TABLE reports (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  reporter_id BIGINT UNSIGNED NOT NULL,
  object_type ENUM('comment', 'playlist', 'user', 'chat') NOT NULL,
  object_id   BIGINT UNSIGNED NOT NULL,
  reason      ENUM('spam', 'harassment', 'hate', 'sexual', 'violence',
                   'copyright', 'other') NOT NULL,
  note        VARCHAR(500) NOT NULL DEFAULT '',
  status      ENUM('open', 'dismissed', 'actioned') NOT NULL DEFAULT 'open',
  created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY reports_once (reporter_id, object_type, object_id),
  KEY reports_queue (status, object_type, object_id),
  CONSTRAINT reports_reporter FOREIGN KEY (reporter_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The inbox. Notifications of one kind about one object group while unread
-- ("X and 4 others liked Y"): `count` actors so far, `actors` the last few
-- (JSON array of user ids), `actor_id` the latest. `group_key` is
-- kind:object for groupable kinds and unique for the others.
CREATE TABLE notifications (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id     BIGINT UNSIGNED NOT NULL,
  kind        ENUM('follower', 'follow_request', 'follow_accepted',
                   'comment', 'reply', 'mention', 'playlist_liked',
                   'comment_liked', 'party_invite', 'party_started')
              NOT NULL,
  actor_id    BIGINT UNSIGNED NOT NULL,
  object_type ENUM('user', 'playlist', 'comment', 'track', 'album', 'party')
              NULL,
  object_id   BIGINT UNSIGNED NULL,
  group_key   VARCHAR(64) NOT NULL,
  count       INT UNSIGNED NOT NULL DEFAULT 1,
  actors      VARCHAR(256) NOT NULL DEFAULT '[]',
  created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  read_at     DATETIME(3) NULL,
  -- at most one unread group per key (NULL read_at: MariaDB allows many
  -- NULLs in a unique key, so the unread group is found by this prefix)
  KEY notifications_group (user_id, group_key, read_at),
  KEY notifications_inbox (user_id, updated_at, id),
  KEY notifications_unread (user_id, read_at),
  PRIMARY KEY (id),
  CONSTRAINT notifications_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT notifications_actor FOREIGN KEY (actor_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;
