-- The reviews.ingested payload (protos/reviewguard/events/v1/events.proto: ReviewIngested{Review})
-- encoded in SQL, so a file import queues its events with one INSERT ... SELECT per batch instead
-- of building a protobuf message per row in Python.
-- NOTE: the protobuf wire format, written out for one message: varints, length-delimited fields,
-- fields in number order, defaults left out as proto3 does (a submessage is always written, as
-- Python sets reviewer, posted_at and captured_at). tests/services/ingest/imports/test_copy_import.py
-- parses the result with the generated classes and fails when Review gains a field not encoded here.

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

-- A length-delimited field (string or submessage), always written.
CREATE FUNCTION pb_field(field int, payload bytea) RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT pb_varint(field * 8 + 2) || pb_varint(length(payload)) || payload $$;

-- A string field; the empty string is the default and is left out.
CREATE FUNCTION pb_string(field int, value text) RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE WHEN value = '' THEN '\x'::bytea ELSE pb_field(field, convert_to(value, 'UTF8')) END $$;

-- A non-negative integer field (int32/int64 varint); zero is left out.
CREATE FUNCTION pb_uint(field int, value bigint) RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE WHEN value = 0 THEN '\x'::bytea ELSE pb_varint(field * 8) || pb_varint(value) END $$;

CREATE FUNCTION pb_bool(field int, value boolean) RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE WHEN value THEN pb_varint(field * 8) || '\x01'::bytea ELSE '\x'::bytea END $$;

-- google.protobuf.Timestamp (seconds, nanos) of a time after 1970.
CREATE FUNCTION pb_timestamp(field int, value timestamptz) RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT pb_field(field, pb_uint(1, floor(extract(epoch FROM value))::bigint)
                    || pb_uint(2, (extract(microseconds FROM value)::bigint % 1000000) * 1000)) $$;

-- events.v1.ReviewIngested of a stored review, equal to ReviewIngested(review=models.from_row(r)).
CREATE FUNCTION pb_review_ingested(r reviews) RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT pb_field(1,
       pb_string(1, r.id::text) || pb_string(2, r.tenant_id::text) || pb_string(3, r.platform)
    || pb_string(4, r.marketplace) || pb_string(5, r.store_id) || pb_string(6, r.external_id)
    || pb_string(7, r.product_id) || pb_string(8, r.product_line) || pb_string(9, r.order_id)
    || pb_field(10, pb_string(1, r.reviewer_id) || pb_string(2, r.reviewer_name))
    || pb_uint(11, r.rating) || pb_string(12, r.title) || pb_string(13, r.body) || pb_string(14, r.language)
    || pb_timestamp(15, r.posted_at) || pb_timestamp(16, r.captured_at) || pb_bool(17, r.verified_purchase)
    || coalesce((SELECT string_agg(pb_field(18, convert_to(u, 'UTF8')), '\x'::bytea ORDER BY n)
                 FROM jsonb_array_elements_text(r.media_urls) WITH ORDINALITY AS m(u, n)), '\x'::bytea)
    || pb_string(19, r.reply_state) || pb_uint(20, r.version) || pb_bool(21, r.competitor)
    || pb_string(22, r.status) || pb_string(23, r.syndication_group)
    || pb_string(24, coalesce(r.syndicated_from::text, '')) || pb_string(25, coalesce(r.source_id::text, ''))
    || pb_bool(26, r.history)) $$;
