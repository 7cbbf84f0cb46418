-- 0013_genre_names: genre names of up to 255 characters, so imported tags
-- (HetRec's tags.dat has 47 longer than 64, up to 126) are kept whole
-- instead of skipped. The unique key genres_name stays within InnoDB's
-- 3,072-byte key limit (255 characters x 4 bytes of utf8mb4 = 1,020).
ALTER TABLE genres MODIFY name VARCHAR(255) NOT NULL;
