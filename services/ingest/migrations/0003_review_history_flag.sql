-- A review captured as history (a file import or backfill not marked live, or one posted long
-- before it was captured): analysed and counted, but it pages no one. Set per stored version.
ALTER TABLE reviews ADD COLUMN history boolean NOT NULL DEFAULT false;
