-- Helpers writing the protobuf wire format in SQL (varints, length-delimited fields), with which
-- ingest/reviews/repository.py encodes reviews.ingested payloads, so a file import queues its
-- events with one INSERT ... SELECT per batch instead of building a message per row in Python.
-- NOTE: each is one expression PostgreSQL inlines; a submessage is written by the caller from a
-- column it computed before (pb_field's payload appears twice: a costly expression there would
-- stop the inlining and run a function call per field).

CREATE FUNCTION pb_varint(n bigint) RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE
    WHEN n < 128 THEN set_byte('\x00'::bytea, 0, n::int)
    WHEN n < 16384 THEN set_byte(set_byte('\x0000'::bytea, 0, ((n & 127) | 128)::int), 1, (n >> 7)::int)
    WHEN n < 2097152 THEN set_byte(set_byte(set_byte('\x000000'::bytea,
        0, ((n & 127) | 128)::int), 1, (((n >> 7) & 127) | 128)::int), 2, (n >> 14)::int)
    WHEN n < 268435456 THEN set_byte(set_byte(set_byte(set_byte('\x00000000'::bytea,
        0, ((n & 127) | 128)::int), 1, (((n >> 7) & 127) | 128)::int), 2, (((n >> 14) & 127) | 128)::int), 3, (n >> 21)::int)
    ELSE set_byte(set_byte(set_byte(set_byte(set_byte('\x0000000000'::bytea,
        0, ((n & 127) | 128)::int), 1, (((n >> 7) & 127) | 128)::int), 2, (((n >> 14) & 127) | 128)::int),
        3, (((n >> 21) & 127) | 128)::int), 4, (n >> 28)::int)
END $$;

-- A length-delimited field (bytes or submessage), always written.
CREATE FUNCTION pb_field(field int, payload bytea) RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT pb_varint(field * 8 + 2) || pb_varint(length(payload)) || payload $$;

-- A string field; the empty string is the default and is left out.
-- NOTE: STABLE like convert_to, so PostgreSQL inlines these helpers into the calling statement.
CREATE FUNCTION pb_string(field int, value text) RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT CASE WHEN value = '' THEN '\x'::bytea
            ELSE pb_varint(field * 8 + 2) || pb_varint(octet_length(value)) || convert_to(value, 'UTF8') END $$;

-- A non-negative integer field (int32/int64 varint); zero is left out.
CREATE FUNCTION pb_uint(field int, value bigint) RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE WHEN value = 0 THEN '\x'::bytea ELSE pb_varint(field * 8) || pb_varint(value) END $$;

CREATE FUNCTION pb_bool(field int, value boolean) RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE WHEN value THEN pb_varint(field * 8) || '\x01'::bytea ELSE '\x'::bytea END $$;

-- The body of a google.protobuf.Timestamp (seconds, nanos) of a time after 1970.
CREATE FUNCTION pb_timestamp_body(value timestamptz) RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT pb_uint(1, floor(extract(epoch FROM value))::bigint) || pb_uint(2, (extract(microseconds FROM value)::bigint % 1000000) * 1000) $$;
