-- 0015_cache_repairs: invalidations memcached did not take. When a worker
-- cannot reach memcached right after a write, the namespace bump or key
-- deletion it meant to send is recorded here instead; every process that
-- serves from the cache replays the rows it can deliver about once a second
-- and deletes them (src/core/inval.c). Rows live only as long as memcached
-- stays unreachable from every worker.
CREATE TABLE cache_repairs (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  op         ENUM('bump', 'del') NOT NULL,
  cache_key  VARCHAR(255) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
