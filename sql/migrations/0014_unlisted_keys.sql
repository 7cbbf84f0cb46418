-- 0014_unlisted_keys: an unlisted playlist opens by an unguessable key, not
-- by its (sequential) id. The key is 128 random bits in base64url (22
-- characters, compared byte for byte), made when a playlist first becomes
-- unlisted and kept until its owner rotates it; GET /api/v1/shared/{key}
-- opens the playlist while it is unlisted or public (src/model/playlist.c).
-- Playlists unlisted already get theirs here, from MariaDB's CSPRNG.

ALTER TABLE playlists
  ADD COLUMN unlisted_key CHAR(22) CHARACTER SET ascii COLLATE ascii_bin NULL
    AFTER visibility,
  ADD UNIQUE KEY playlists_unlisted_key (unlisted_key);

UPDATE playlists
   SET unlisted_key = TRIM(TRAILING '=' FROM
         REPLACE(REPLACE(TO_BASE64(RANDOM_BYTES(16)), '+', '-'), '/', '_'))
 WHERE visibility = 'unlisted' AND unlisted_key IS NULL;
