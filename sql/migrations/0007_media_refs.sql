-- 0007_media_refs: album art and playlist covers share content-addressed
-- files under the media directory; a file is removed when neither column
-- references it any more (src/model/media.c). These keys make that check
-- two lookups instead of two table scans.

ALTER TABLE albums ADD KEY albums_art_path (art_path);
ALTER TABLE playlists ADD KEY playlists_cover_path (cover_path);
