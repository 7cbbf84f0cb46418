-- 0001_accounts: users, their preferences, sessions (refresh-token
-- families), refresh tokens and password resets.
--
-- Times are DATETIME(3) in UTC: every Encore connection sets time_zone
-- '+00:00', so CURRENT_TIMESTAMP(3) and UTC_TIMESTAMP(3) agree. Tokens are
-- stored only as their SHA-256.

CREATE TABLE users (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  -- [A-Za-z0-9_]{3,32}; unique case-insensitively through the collation
  username      VARCHAR(32) NOT NULL,
  -- stored lower-cased
  email         VARCHAR(254) NOT NULL,
  -- argon2id encoded string
  password_hash VARCHAR(128) NOT NULL,
  display_name  VARCHAR(64) NOT NULL,
  bio           VARCHAR(500) NOT NULL DEFAULT '',
  avatar_url    VARCHAR(2048) NULL DEFAULT NULL,
  role          ENUM('user', 'editor', 'admin') NOT NULL DEFAULT 'user',
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY users_username (username),
  UNIQUE KEY users_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE user_preferences (
  user_id            BIGINT UNSIGNED NOT NULL,
  -- JSON arrays of strings
  favourite_genres   JSON NOT NULL DEFAULT '[]',
  favourite_artists  JSON NOT NULL DEFAULT '[]',
  explicit_content   TINYINT(1) NOT NULL DEFAULT 1,
  -- BCP 47 tag
  language           VARCHAR(35) NOT NULL DEFAULT 'en',
  history_visibility ENUM('public', 'followers', 'private') NOT NULL
                     DEFAULT 'public',
  updated_at         DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                     ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (user_id),
  CONSTRAINT user_preferences_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A session is one login: the family of refresh tokens rotated from it.
CREATE TABLE sessions (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id      BIGINT UNSIGNED NOT NULL,
  created_at   DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  last_used_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  expires_at   DATETIME(3) NOT NULL,
  revoked_at   DATETIME(3) NULL DEFAULT NULL,
  user_agent   VARCHAR(255) NOT NULL DEFAULT '',
  ip           VARCHAR(45) NULL DEFAULT NULL,
  PRIMARY KEY (id),
  KEY sessions_user (user_id),
  CONSTRAINT sessions_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE refresh_tokens (
  token_hash BINARY(32) NOT NULL,
  session_id BIGINT UNSIGNED NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  -- set when rotated; a second use of the token revokes its session
  used_at    DATETIME(3) NULL DEFAULT NULL,
  PRIMARY KEY (token_hash),
  KEY refresh_tokens_session (session_id),
  CONSTRAINT refresh_tokens_session FOREIGN KEY (session_id)
    REFERENCES sessions (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE password_resets (
  token_hash BINARY(32) NOT NULL,
  user_id    BIGINT UNSIGNED NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  expires_at DATETIME(3) NOT NULL,
  used_at    DATETIME(3) NULL DEFAULT NULL,
  PRIMARY KEY (token_hash),
  KEY password_resets_user (user_id),
  CONSTRAINT password_resets_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
