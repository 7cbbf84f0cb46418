-- 0025_cluster: what a cluster of database nodes needs (docs/architecture.md,
-- "Scale-out"). GET_LOCK is node-local on Galera: two hosts writing through
-- two nodes would both get the same named lock. A lease row is one row of
-- an InnoDB table instead, replicated like any other: a holder takes it with
-- a conditional UPDATE (free or expired), and of two nodes taking it at
-- once certification lets one commit; the other's statement runs again and
-- finds it held. A holder that dies without giving it back loses it when
-- lease_until passes.
CREATE TABLE leases (
  name        VARCHAR(64) NOT NULL,
  holder      VARCHAR(128) NULL,
  lease_until DATETIME(3) NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB;
