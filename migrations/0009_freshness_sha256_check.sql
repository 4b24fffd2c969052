-- The digest's check, evaluated for every freshness row written, without a
-- regular expression: at half a million rows (an import of a large
-- network) the pattern match took most of the insert's time, and a round
-- trip through decode and encode costs a twentieth of it. The value is
-- accepted exactly when it is 64 lower-case hex digits (decode refuses
-- anything but hex digits, with an error of its own, and skips white space,
-- which the comparison then refuses).
ALTER TABLE freshness DROP CONSTRAINT freshness_sha256_check,
	ADD CONSTRAINT freshness_sha256_check CHECK (octet_length(sha256) = 64 AND encode(decode(sha256, 'hex'), 'hex') = sha256);
