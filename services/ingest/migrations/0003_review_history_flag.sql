-- A review captured as history (a file import or backfill not marked live, or one posted long
-- before it was captured): analysed and counted, but it pages no one. Set per stored version.
ALTER TABLE reviews ADD COLUMN history boolean NOT NULL DEFAULT false;

-- NOTE: a new version is now decided by comparing the fields themselves in the upsert, so the
-- digest computed per row for that (in Python, then in SQL) has no reader left.
ALTER TABLE reviews DROP COLUMN content_hash;
